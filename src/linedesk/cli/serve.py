"""linedesk serve / migrate: run the server, bring the schema up to date."""

import asyncio

import typer
import uvicorn

from linedesk.cli.runtime import console, import_context, run, settings
from linedesk.config import Settings
from linedesk.db import create_engine, create_sessionmaker
from linedesk.demo.service import load_demo
from linedesk.migrations import upgrade


async def prepare_database(current: Settings, load_demo_data: bool) -> None:
    engine = create_engine(current.effective_database_url)
    try:
        await upgrade(engine)
        if load_demo_data:
            async with create_sessionmaker(engine)() as session, session.begin():
                summary = await load_demo(session, import_context(current))
            if summary.loaded:
                console.print(f"Demo data loaded: {summary.companies} companies, "
                              f"{summary.lines} lines.")
    finally:
        await engine.dispose()


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="API processes (production)."),
) -> None:
    """Run the web app and API. With no configuration: SQLite, migrations, demo data."""
    current = settings()
    embedded = current.effective_database_url.startswith("sqlite")
    asyncio.run(prepare_database(current, embedded and current.demo_on_first_start
                                 and not current.is_production))
    url = f"http://{host}:{port}/"
    console.print(f"[bold]linedesk[/bold] is serving at [link={url}]{url}[/link]")
    console.print(f"  database: {'SQLite ' + str(current.data_dir) if embedded else 'PostgreSQL'}")
    console.print("  API docs: " + url + "docs")
    console.print("  back office: create a key with `linedesk apikey create NAME`")
    uvicorn.run("linedesk.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning", proxy_headers=False)


def migrate() -> None:
    """Apply every pending schema migration (safe to run twice)."""
    current = settings()

    async def _migrate() -> None:
        engine = create_engine(current.effective_database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    run(_migrate())
    console.print("The database schema is up to date.")
