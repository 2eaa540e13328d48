"""linedesk provisioning: deliver line actions to the operator's provisioning system."""

import typer

from linedesk.cli.runtime import console, err_console, run, settings, work_then_close
from linedesk.db import create_engine, create_sessionmaker
from linedesk.kit.clock import Clock
from linedesk.lineactions.provisioning import ProvisioningWorker
from linedesk.lineactions.tasks import transport_for
from linedesk.ops.logging import configure_logging

app = typer.Typer(help="Line actions and the provisioning system.", no_args_is_help=True)


@app.command("work")
def work(
    once: bool = typer.Option(False, "--once", help="Deliver what is due, then exit."),
) -> None:
    """Deliver line requests to the provisioning system, signed, with retries."""
    current = settings()
    configure_logging(current.log_level, current.json_logs)

    async def _work() -> int:
        engine = create_engine(current.effective_database_url)
        sessionmaker = create_sessionmaker(engine)
        transport = transport_for(current, sessionmaker, Clock())
        if transport is None:
            err_console.print("[red]Set LINEDESK_PROVISIONING_URL[/red] (or the simulator).")
            raise typer.Exit(2)
        worker = ProvisioningWorker.from_settings(current, sessionmaker, Clock(), transport)
        try:
            return await work_then_close(worker, once, current.provisioning_poll_seconds)
        finally:
            await engine.dispose()

    delivered = run(_work(), bulk=True)
    if once:
        console.print(f"Delivered {delivered} request(s).")
