"""The demo's invoices show every state; the embedded scheduler runs the daily job."""

import asyncio
from datetime import date, timedelta

from sqlalchemy import select

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.db import create_sessionmaker
from linedesk.demo.service import load_demo
from linedesk.identity.models import User
from linedesk.jobs import embedded_scheduler
from linedesk.kit.clock import ROME, FrozenClock
from linedesk.notifications.models import Notification, NotificationKind
from tests.conftest import NOW
from tests.factories import CTX
from tests.notifications.conftest import DUE, bill_october


async def test_the_demo_has_a_year_of_invoices_most_paid(session):
    summary = await load_demo(session, CTX, total_lines=35)
    await session.commit()
    assert summary.invoices == 36  # 3 billing accounts × 12 closed months
    found = list(await session.scalars(select(Invoice).order_by(Invoice.id)))
    by_status = {s: [i for i in found if i.status is s] for s in InvoiceStatus}
    today = NOW.astimezone(ROME).date()
    (overdue,) = by_status[InvoiceStatus.overdue]
    (due_soon,) = by_status[InvoiceStatus.issued]
    assert overdue.due_date < today <= due_soon.due_date <= today + timedelta(days=7)
    assert len(by_status[InvoiceStatus.paid]) == 34
    assert {i.issue_date.month for i in found} == set(range(1, 13))  # spread over the year
    admin = await session.scalar(select(User.id).where(User.username == "admin.bellini"))
    kinds = set(
        await session.scalars(select(Notification.kind).where(Notification.user_id == admin))
    )
    assert {
        NotificationKind.overdue,
        NotificationKind.due_in_7_days,
        NotificationKind.invoice_issued,
    } <= kinds


async def test_the_embedded_scheduler_runs_the_jobs_at_start(
    engine, settings, session, billing_world
):
    """In December: the month just ended (November) is billed, October's unpaid invoices
    turn overdue."""
    await bill_october(session)
    settings.scheduler_embedded = True
    clock = FrozenClock(DUE + timedelta(days=2))
    expected = {
        date(2026, 10, 1): {InvoiceStatus.overdue},
        date(2026, 11, 1): {InvoiceStatus.issued},
    }
    async with embedded_scheduler(settings, create_sessionmaker(engine), clock, every=3600):
        for _ in range(100):
            await asyncio.sleep(0.05)
            by_period: dict[date, set[InvoiceStatus]] = {}
            for period, status in await session.execute(
                select(Invoice.period, Invoice.status).execution_options(populate_existing=True)
            ):
                by_period.setdefault(period, set()).add(status)
            await session.rollback()
            if by_period == expected:
                break
    assert by_period == expected
