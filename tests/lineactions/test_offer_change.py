"""Offer change (R-L5): from the first day of next month; the counters and the billing run
follow the new offer from that day, and the month before keeps the old one."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.models import AuditEvent
from linedesk.billing.models import InvoiceLineKind
from linedesk.billing.service import issue_invoices
from linedesk.errors import ValidationFailed
from linedesk.inventory.models import Line, Offer
from linedesk.lineactions.offers import (
    apply_due_offer_changes,
    next_period,
    offer_catalogue,
    schedule_offer_change,
)
from linedesk.usage.models import LineCounter
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import import_records
from tests.billing.conftest import add_offer, invoice_lines, invoices
from tests.conftest import NOW
from tests.factories import make_world

NOVEMBER, DECEMBER = date(2026, 11, 1), date(2026, 12, 1)
DECEMBER_1ST = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)


async def _line(session: AsyncSession, msisdn: str) -> Line:
    line = await session.scalar(select(Line).where(Line.msisdn == msisdn))
    assert line is not None
    return line


async def _offer_id(session: AsyncSession, code: str) -> int:
    offer_id = await session.scalar(select(Offer.id).where(Offer.code == code))
    assert offer_id is not None
    return offer_id


def test_next_period_is_the_first_of_the_next_month() -> None:
    assert next_period(date(2026, 11, 20)) == DECEMBER
    assert next_period(date(2026, 12, 31)) == date(2027, 1, 1)


async def test_the_billing_run_bills_the_new_offer_from_its_start_date(
    session: AsyncSession,
) -> None:
    world = await make_world(session, lines=2)
    changed, kept = world["numbers"]
    unlimited = await add_offer(
        session, name="Business Unlimited", monthly_fee="39.99", data_mb=None
    )
    line = await _line(session, changed)
    change = await schedule_offer_change(session, NOW, line, await _offer_id(session, unlimited))
    await session.commit()
    assert change.effective_from == DECEMBER

    # On 1 December the daily job moves the line; November's run (on 2 December) keeps the
    # old offer, December's bills the new one, the other line stays as it was.
    assert await apply_due_offer_changes(session, NOW) == 0
    assert await apply_due_offer_changes(session, DECEMBER_1ST) == 1
    assert await apply_due_offer_changes(session, DECEMBER_1ST) == 0
    await session.commit()
    await issue_invoices(session, datetime(2026, 12, 2, 9, tzinfo=UTC), NOVEMBER)
    await issue_invoices(session, datetime(2027, 1, 2, 9, tzinfo=UTC), DECEMBER)
    await session.commit()

    november, december = await invoices(session)
    fees = {}
    for invoice in (november, december):
        for item in await invoice_lines(session, invoice):
            if item.kind is InvoiceLineKind.fee:
                fees[(invoice.period, item.msisdn)] = (item.description, item.amount)
    assert fees[(NOVEMBER, changed)] == (f"Canone Business Test {changed}", Decimal("19.99"))
    assert fees[(DECEMBER, changed)] == (f"Canone Business Unlimited {changed}", Decimal("39.99"))
    assert fees[(DECEMBER, kept)][1] == Decimal("19.99")
    audit = await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
    assert [a for a in audit if a.startswith("line.offer")] == [
        "line.offer_change_scheduled",
        "line.offer_changed",
    ]


async def test_the_counters_rate_the_new_period_by_the_new_offer(session: AsyncSession) -> None:
    world = await make_world(session, lines=1)
    [msisdn] = world["numbers"]
    unlimited = await add_offer(session, data_mb=None)
    line = await _line(session, msisdn)
    await schedule_offer_change(session, NOW, line, await _offer_id(session, unlimited))
    await apply_due_offer_changes(session, DECEMBER_1ST)
    await session.commit()

    # 60 GB on 1 December: beyond the old 50 GB, all included in the new offer.
    record = UsageRecordIn(
        record_id="dec-1",
        line=msisdn,
        started_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
        type="data",
        quantity=60 * 10**9,
    )
    await import_records(session, datetime(2026, 12, 1, 9, tzinfo=UTC), [(1, record)])
    await session.commit()
    counter = await session.scalar(
        select(LineCounter).where(LineCounter.line_id == line.id, LineCounter.period == DECEMBER)
    )
    assert counter is not None and counter.charges == 0


async def test_the_catalogue_holds_the_offers_of_the_lines_kind(session: AsyncSession) -> None:
    world = await make_world(session, lines=1)
    fixed = await add_offer(session, kind="fixed", data_mb=None, sms=None)
    line = await _line(session, world["numbers"][0])
    codes = {offer.code for offer in await offer_catalogue(session, line)}
    assert world["offer"] in codes and fixed not in codes
    try:
        await schedule_offer_change(session, NOW, line, await _offer_id(session, fixed))
    except ValidationFailed as error:
        assert "not for this kind of line" in error.message
    else:
        raise AssertionError("a fixed offer was accepted for a mobile line")
