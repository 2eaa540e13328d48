"""Demo invoices: the SME's 12 closed months billed by the real billing run, each issued on
the 1st of the following month; most paid with payments, one left overdue and one due
within the week, so a newcomer sees every state and every kind of notification."""

from datetime import datetime, time, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice
from linedesk.billing.service import issue_invoices
from linedesk.demo.usage import month_starts
from linedesk.inventory.models import BillingAccount, Company
from linedesk.kit.clock import ROME
from linedesk.notifications.service import notify_due_dates, notify_invoices_issued
from linedesk.payments.schemas import PaymentIn
from linedesk.payments.service import record_payments, update_statuses

DUE_DAYS = 30
OVERDUE_BY = 10  # days past due for the one overdue invoice
DUE_IN = 5  # days left for the one invoice due within the week


async def load_demo_invoices(session: AsyncSession, now: datetime, sme_vat: str) -> int:
    """Bill the SME's 12 closed months; returns how many invoices were issued."""
    accounts = list(
        await session.scalars(
            select(BillingAccount.id)
            .join(Company, Company.id == BillingAccount.company_id)
            .where(Company.vat_number == sme_vat)
            .order_by(BillingAccount.id)
        )
    )
    today = now.astimezone(ROME).date()
    months = month_starts(now)  # the 12 closed months and the current one
    latest, before_latest = months[-1], months[-2]
    for period, issued_on in pairwise(months):
        issue_at = min(datetime.combine(issued_on, time(8), ROME), now)
        special = {}
        if issued_on == before_latest:  # account 1: overdue by OVERDUE_BY days
            special[accounts[0]] = (today - timedelta(OVERDUE_BY) - issue_at.date()).days
        if issued_on == latest:  # account 2: due in DUE_IN days
            special[accounts[1]] = (today + timedelta(DUE_IN) - issue_at.date()).days
        for account, days in special.items():
            await issue_invoices(
                session, issue_at, period, billing_account_ids=[account], due_days=max(days, 0)
            )
        await issue_invoices(
            session, issue_at, period, billing_account_ids=accounts, due_days=DUE_DAYS
        )
    invoices = list(
        await session.scalars(
            select(Invoice).where(Invoice.billing_account_id.in_(accounts)).order_by(Invoice.id)
        )
    )
    await _pay(
        session, now, invoices, unpaid={(accounts[0], months[-3]), (accounts[1], before_latest)}
    )
    await update_statuses(session, now)
    await notify_invoices_issued(
        session, now, [i.id for i in invoices if i.period == before_latest]
    )
    await notify_due_dates(session, now)
    return len(invoices)


async def _pay(
    session: AsyncSession, now: datetime, invoices: list[Invoice], unpaid: set[tuple[int, object]]
) -> None:
    """Every invoice but the two kept unpaid, paid a few days before its due date."""
    payments: list[tuple[int, PaymentIn]] = []
    for invoice in invoices:
        if (invoice.billing_account_id, invoice.period) in unpaid:
            continue
        paid_on = max(invoice.issue_date, invoice.due_date - timedelta(days=3))
        paid_at = min(datetime.combine(paid_on, time(10), ROME), now)
        payments.append(
            (
                len(payments) + 1,
                PaymentIn(
                    reference=f"DEMO-{invoice.number.replace('/', '-')}",
                    invoice_number=invoice.number,
                    amount=invoice.total_amount,
                    paid_at=paid_at,
                ),
            )
        )
    await record_payments(session, payments, now)
