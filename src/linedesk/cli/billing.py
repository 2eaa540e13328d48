"""linedesk billing: the monthly billing run (operator staff)."""

import time
from datetime import date

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from linedesk.billing.schemas import RunSummary
from linedesk.billing.service import DEFAULT_CHUNK
from linedesk.cli.runtime import console, progress_bar, run, settings
from linedesk.db import create_engine, create_sessionmaker
from linedesk.inventory.models import BillingAccount
from linedesk.jobs import bill_month
from linedesk.kit.clock import Clock

app = typer.Typer(
    help="Billing: the monthly run that issues invoices (operator staff).", no_args_is_help=True
)


def _period(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise typer.BadParameter(f"'{value}' is not a month (YYYY-MM)") from exc


def _summary_table(summary: RunSummary, seconds: float) -> Table:
    table = Table("", "", title=f"Billing run {summary.period:%Y-%m}", show_header=False)
    table.add_row("billing accounts", f"{summary.billing_accounts:,}")
    table.add_row("invoices issued", f"{summary.issued:,}")
    table.add_row("already invoiced (skipped)", f"{summary.already_invoiced:,}")
    table.add_row("invoice lines", f"{summary.invoice_lines:,}")
    table.add_row("total invoiced", f"{summary.total_amount:,.2f} EUR")
    if summary.first_number:
        table.add_row("numbers", f"{summary.first_number} … {summary.last_number}")
    table.add_row("time", f"{seconds:.1f} s")
    return table


async def run_period(
    period: date, database_url: str, due_days: int, chunk_size: int, bar: Progress | None = None
) -> RunSummary:
    """Bill a month, each chunk of billing accounts in its own transaction."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            accounts = await session.scalar(select(func.count()).select_from(BillingAccount))
            task = bar.add_task("Billing accounts", total=accounts) if bar else None

            def progress(done: int) -> None:
                if bar is not None and task is not None:
                    bar.advance(task, done)

            return await bill_month(
                session,
                Clock().now(),
                period,
                due_days=due_days,
                chunk_size=chunk_size,
                commit=session.commit,
                progress=progress,
            )
    finally:
        await engine.dispose()


@app.command("run")
def run_billing(
    period: str = typer.Option(..., help="The month to bill, YYYY-MM (it must have ended)."),
    chunk_size: int = typer.Option(DEFAULT_CHUNK, min=1, help="Billing accounts per transaction."),
) -> None:
    """Issue the month's invoices for every billing account not invoiced for it yet. Safe to
    run again: a finished month issues nothing new, an interrupted one is completed."""
    current = settings()
    month = _period(period)
    started = time.perf_counter()

    async def _run() -> RunSummary:
        with progress_bar() as bar:
            return await run_period(
                month, current.effective_database_url, current.invoice_due_days, chunk_size, bar
            )

    summary = run(_run(), bulk=True)
    console.print(_summary_table(summary, time.perf_counter() - started))
