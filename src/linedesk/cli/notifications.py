"""linedesk notifications: the daily due-date job (operator staff, cron or timer)."""

import typer

from linedesk.cli.runtime import console, run, settings, unit_of_work
from linedesk.jobs import DailyResult, run_due_dates
from linedesk.kit.clock import Clock

app = typer.Typer(help="Notifications to company managers.", no_args_is_help=True)


@app.command("due-dates")
def due_dates() -> None:
    """Mark unpaid invoices past due as overdue, then tell the managers about invoices due
    in 7 days, due tomorrow and overdue. Run it daily; running it twice tells nobody twice."""
    current = settings()

    async def _run() -> DailyResult:
        async with unit_of_work(current) as session:
            return await run_due_dates(session, Clock().now())

    result = run(_run())
    console.print(f"Invoices now overdue: {result.overdue}")
    for kind, count in result.notices.items():
        console.print(f"Notified {kind}: {count}")
