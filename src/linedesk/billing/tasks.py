"""The monthly billing run as a scheduled job (SPEC R-O4): bill the month just ended. The
run is idempotent, so the daily scheduler can ask every day; only the first day of a month
finds something to invoice."""

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.schemas import RunSummary
from linedesk.billing.service import Commit, InvoicesIssued, issue_invoices
from linedesk.kit.clock import ROME


def previous_month(today: date) -> date:
    """The first day of the month before `today`'s."""
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


async def bill_previous_month(
    session: AsyncSession,
    now: datetime,
    *,
    due_days: int,
    commit: Commit | None = None,
    on_issued: InvoicesIssued | None = None,
) -> RunSummary:
    period = previous_month(now.astimezone(ROME).date())
    return await issue_invoices(
        session, now, period, due_days=due_days, commit=commit, on_issued=on_issued
    )
