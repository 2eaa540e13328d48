"""linedesk serve / migrate: run the server, bring the schema up to date."""

import asyncio
import os

import typer
import uvicorn
from rich.table import Table

from linedesk.alerts.service import Thresholds
from linedesk.cli.runtime import console, import_context, migrate_database, run, settings
from linedesk.config import Settings, get_settings
from linedesk.db import create_engine, create_sessionmaker
from linedesk.demo.service import load_demo
from linedesk.demo.users import (
    DemoCredential,
    DemoDataOnlySim,
    demo_credentials,
    demo_data_only_sim,
)
from linedesk.migrations import upgrade

APP = "linedesk.app:create_app"
SERVER = "uvicorn"  # the ASGI server `linedesk serve` runs by default (docs/benchmarks.md)


async def prepare_database(
    current: Settings, load_demo_data: bool
) -> tuple[list[DemoCredential], DemoDataOnlySim | None]:
    """Migrate; in the embedded mode load the demo once. Returns the demo's sign-ins and its
    data-only SIM."""
    engine = create_engine(current.effective_database_url)
    try:
        await upgrade(engine)
        if not load_demo_data:
            return [], None
        async with create_sessionmaker(engine)() as session, session.begin():
            summary = await load_demo(
                session, import_context(current), thresholds=Thresholds.from_settings(current)
            )
            if summary.loaded:
                console.print(
                    f"Demo data loaded: {summary.companies} companies, {summary.lines} lines."
                )
            return await demo_credentials(session), await demo_data_only_sim(session)
    finally:
        await engine.dispose()


def served_public_url(current: Settings, host: str, port: int) -> str:
    """In development, unless LINEDESK_PUBLIC_URL says otherwise, e-mailed links (manager
    activation) point at the address the server really listens on. The app is built by
    uvicorn's factory, which reads the environment: the address is handed on there."""
    if current.is_production or "public_url" in current.model_fields_set:
        return current.public_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}"
    os.environ["LINEDESK_PUBLIC_URL"] = url
    get_settings.cache_clear()
    return url


def print_credentials(credentials: list[DemoCredential]) -> None:
    if not credentials:
        return
    table = Table("demo sign-in", "username", "password", title="Demo credentials")
    for credential in credentials:
        table.add_row(credential.label, credential.username, credential.password)
    console.print(table)


def print_data_only_sim(sim: DemoDataOnlySim | None) -> None:
    if sim is not None:
        console.print(
            f"Data-only SIM (register at /register, ticking 'data-only SIM'): {sim.msisdn}, "
            f"PUK {sim.puk}; the code arrives by e-mail in /dev/outbox"
        )


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="API processes (production)."),
    server: str = typer.Option(
        SERVER,
        help="The ASGI server: uvicorn (on uvloop and httptools) or granian (Rust HTTP/1, uvloop).",
    ),
) -> None:
    """Run the web app and API. With no configuration: SQLite, migrations, demo data."""
    current = settings()
    embedded = current.effective_database_url.startswith("sqlite")
    credentials, data_only_sim = asyncio.run(
        prepare_database(
            current, embedded and current.demo_on_first_start and not current.is_production
        )
    )
    served_public_url(current, host, port)
    url = f"http://{host}:{port}/"
    console.print(f"[bold]linedesk[/bold] is serving at [link={url}]{url}[/link]")
    console.print(f"  database: {'SQLite ' + str(current.data_dir) if embedded else 'PostgreSQL'}")
    console.print("  API docs: " + url + "docs")
    console.print("  back office: create a key with `linedesk apikey create NAME`")
    print_credentials(credentials)
    print_data_only_sim(data_only_sim)
    if server == "granian":
        serve_granian(host, port, workers)
        return
    if server != "uvicorn":
        raise typer.BadParameter("uvicorn or granian", param_hint="--server")
    # With --workers, each API process first imports this command and the app before it can
    # answer uvicorn's health pings: give it more than the default 5 s, or a slow start (a
    # busy host, a CPU-limited container) is taken for a hang and restarted forever.
    uvicorn.run(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        proxy_headers=False,
        timeout_worker_healthcheck=60,
    )


def serve_granian(host: str, port: int, workers: int) -> None:
    """The same app on granian: its HTTP/1 server in Rust, the app on uvloop; no proxy
    headers are read (the app's trusted-proxy setting does that)."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels

    Granian(
        APP,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=False,
        log_level=LogLevels.warning,
        log_access=False,
        factory=True,
    ).serve()


def migrate() -> None:
    """Apply every pending schema migration (safe to run twice)."""
    run(migrate_database(settings()))
    console.print("The database schema is up to date.")
