"""linedesk worker: delivers the outbox (run as many as needed; none sends a message twice)."""

import typer
from prometheus_client import start_http_server

from linedesk.cli.runtime import console, run, settings, work_then_close
from linedesk.db import create_engine, create_sessionmaker
from linedesk.invoices.service import INVOICE_PDF, invoice_pdf_loader
from linedesk.kit.clock import Clock
from linedesk.messaging.attachments import register_loader
from linedesk.messaging.worker import OutboxWorker
from linedesk.ops.logging import configure_logging


def worker(
    once: bool = typer.Option(False, "--once", help="Deliver what is due, then exit."),
    idle: float = typer.Option(1.0, help="Seconds to rest when nothing is due."),
    metrics_port: int = typer.Option(0, help="Serve Prometheus metrics on this port (0: off)."),
) -> None:
    """Deliver outbox messages: SMS, e-mail and Web Push, with retries."""
    current = settings()
    configure_logging(current.log_level, current.json_logs)
    if metrics_port:
        start_http_server(metrics_port)

    register_loader(INVOICE_PDF, invoice_pdf_loader(current))

    async def _work() -> int:
        engine = create_engine(current.effective_database_url)
        outbox = OutboxWorker.from_settings(current, create_sessionmaker(engine), Clock())
        try:
            return await work_then_close(outbox, once, idle)
        finally:
            await engine.dispose()

    delivered = run(_work(), bulk=True)
    if once:
        console.print(f"Processed {delivered} message(s).")
