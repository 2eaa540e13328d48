"""Demo usage: deterministic, built by the real import, with something for the alerts."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from linedesk.demo.service import load_demo
from linedesk.demo.usage import demo_records, generate_records, month_starts
from linedesk.inventory.models import Line, Offer
from linedesk.usage.models import (
    Destination,
    LineCounter,
    PrepaidTopUp,
    SentAlert,
    UsageRecord,
    UsageType,
)
from linedesk.usage.rating import BYTES_PER_MB
from tests.conftest import NOW
from tests.factories import CTX

CURRENT = date(2026, 11, 1)


def _key(records):
    return [(r.record_id, r.line, r.started_at, r.type, r.quantity) for r in records]


def test_the_benchmark_generator_is_deterministic():
    numbers = ["+393471000001", "+393471000002"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first = list(generate_records(numbers, 1000, start, seed=3))
    assert _key(first) == _key(generate_records(numbers, 1000, start, seed=3))
    assert _key(first) != _key(generate_records(numbers, 1000, start, seed=4))
    assert len({r.record_id for r in first}) == 1000
    assert {r.line for r in first} == set(numbers)


def test_thirteen_months_end_with_the_current_one():
    months = month_starts(NOW)
    assert (len(months), months[0], months[-1]) == (13, date(2025, 11, 1), CURRENT)


async def test_the_demo_usage_is_imported_and_fits_the_offers(session):
    from linedesk.demo.usage import demo_lines

    summary = await load_demo(session, CTX)
    await session.commit()
    lines = await demo_lines(session)
    assert _key(demo_records(lines, NOW, 1)) == _key(demo_records(lines, NOW, 1))
    assert summary.usage_records == await session.scalar(
        select(func.count()).select_from(UsageRecord)
    )
    assert len({r.period for r in await session.scalars(select(UsageRecord))}) == 13

    # The counters (kept by the import) equal the sum of each line's records.
    totals = (
        await session.execute(
            select(
                UsageRecord.line_id,
                UsageRecord.period,
                UsageRecord.usage_type,
                func.sum(UsageRecord.quantity),
            )
            .where(UsageRecord.destination.in_([Destination.national, Destination.eu_roaming]))
            .group_by(UsageRecord.line_id, UsageRecord.period, UsageRecord.usage_type)
        )
    ).all()
    summed = {(line_id, period, kind): total for line_id, period, kind, total in totals}
    counters = list(await session.scalars(select(LineCounter)))
    assert len(counters) > 13 * 200
    for counter in counters:
        key = (counter.line_id, counter.period)
        assert counter.data_bytes == summed.get((*key, UsageType.data), 0)
        assert counter.voice_seconds == summed.get((*key, UsageType.voice), 0)
        assert counter.sms_count == summed.get((*key, UsageType.sms), 0)

    # This month: some lines past 80 % of their data, one roaming in the EU.
    current = (
        await session.execute(
            select(LineCounter, Offer.data_mb)
            .join(Line, Line.id == LineCounter.line_id)
            .join(Offer, Offer.id == Line.offer_id)
            .where(LineCounter.period == CURRENT)
        )
    ).all()
    over = [c for c, data_mb in current if data_mb and c.data_bytes >= 0.8 * data_mb * BYTES_PER_MB]
    assert over
    assert [c.line_id for c, _ in current if c.roaming_data_bytes > 0] != []
    assert len([c for c, _ in current if c.roaming_data_bytes > 0]) == 1
    alerts = {
        a.kind.value
        for a in await session.scalars(select(SentAlert).where(SentAlert.period == CURRENT))
    }
    assert {"data_80", "roaming_first_use"} <= alerts
    assert (
        await session.scalar(
            select(func.count()).select_from(SentAlert).where(SentAlert.period != CURRENT)
        )
        == 0
    )

    top_ups = list(await session.scalars(select(PrepaidTopUp)))
    assert len(top_ups) == 5 and {t.amount for t in top_ups} == {Decimal("20.00")}


async def test_the_demo_loads_without_usage_when_asked(session):
    summary = await load_demo(session, CTX, with_usage=False)
    await session.commit()
    assert summary.usage_records == 0
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 0
