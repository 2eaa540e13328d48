"""linedesk scheduler: the daily jobs as a process of their own (production). One is enough;
a second one is harmless (the runs take a lock, and every job is idempotent)."""

import structlog
import typer

from linedesk.cli.runtime import console, run, settings, stop_on_signals
from linedesk.db import create_engine, create_sessionmaker
from linedesk.jobs import DailyJobsResult, run_daily_jobs, run_daily_loop
from linedesk.kit.clock import Clock
from linedesk.ops.logging import configure_logging

log = structlog.get_logger()


def _print(result: DailyJobsResult | None) -> None:
    if result is None:
        console.print("Another process is running the daily jobs: nothing done.")
        return
    console.print(
        f"Billing run {result.billing.period:%Y-%m}: {result.billing.issued} invoice(s) issued"
    )
    console.print(f"Invoices now overdue: {result.due_dates.overdue}")
    for kind, count in result.due_dates.notices.items():
        console.print(f"Notified {kind}: {count}")


def scheduler(
    once: bool = typer.Option(False, "--once", help="Run the daily jobs once, then exit."),
    every: float = typer.Option(
        3600.0, min=1.0, help="Seconds between two runs (each does only what is due)."
    ),
) -> None:
    """Run the daily jobs (the billing run of the month just ended, overdue invoices,
    due-date notices) at start and then every hour, until SIGINT/SIGTERM."""
    current = settings()
    configure_logging(current.log_level, current.json_logs)

    async def _schedule() -> DailyJobsResult | None:
        engine = create_engine(current.effective_database_url)
        sessionmaker = create_sessionmaker(engine)
        try:
            if once:
                return await run_daily_jobs(sessionmaker, Clock(), current.invoice_due_days)
            stop = stop_on_signals()
            log.info("scheduler_started", every_seconds=every)
            await run_daily_loop(sessionmaker, Clock(), stop, every, current.invoice_due_days)
            log.info("scheduler_stopped")
            return None
        finally:
            await engine.dispose()

    result = run(_schedule(), bulk=True)
    if once:
        _print(result)
