"""For any sequence of records: the counters are the aggregate of the records, each charge is
its out-of-bundle quantity at the offer's rate, and a prepaid credit never goes below zero."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from linedesk.alerts.service import Thresholds, crossings, may_cross
from linedesk.db import create_sessionmaker
from linedesk.kit.clock import ROME
from linedesk.usage import service as usage_service
from linedesk.usage.batch import frame_of
from linedesk.usage.models import (
    DailyUsage,
    Destination,
    LineCounter,
    PrepaidBalance,
    UsageRecord,
    UsageType,
)
from linedesk.usage.rating import Counters, OfferTerms, rate
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import SHARES, Watched, import_frame, import_records
from tests.conftest import NOW
from tests.usage.conftest import forget_usage, line_id, set_credit

START = datetime(2026, 9, 28, tzinfo=UTC)  # spans three periods and their Rome midnights
QUANTITIES = {
    UsageType.data: st.integers(0, 700_000),
    UsageType.voice: st.integers(0, 90),
    UsageType.sms: st.integers(0, 2),
}
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TERMS = OfferTerms(
    data_bytes=1_000_000,
    voice_seconds=120,
    sms=3,
    roaming_data_bytes=500_000,
    rate_data_per_mb=Decimal("0.01"),
    rate_voice_per_minute=Decimal("0.19"),
    rate_sms=Decimal("0.19"),
)


@st.composite
def usage(draw: st.DrawFn) -> tuple[UsageType, Destination, int]:
    usage_type = draw(st.sampled_from(UsageType))
    return usage_type, draw(st.sampled_from(Destination)), draw(QUANTITIES[usage_type])


@st.composite
def records(draw: st.DrawFn) -> list[tuple[str, datetime, UsageType, Destination, int]]:
    items = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["postpaid", "prepaid"]), st.integers(0, 52 * 24 * 60), usage()
            ),
            max_size=40,
        )
    )
    return [(who, START + timedelta(minutes=minutes), *what) for who, minutes, what in items]


# --- the engine alone, many examples -------------------------------------------------------


@given(st.lists(usage(), max_size=60), st.decimals("0", "3", places=2))
@settings(max_examples=300, deadline=None)
def test_rating_charges_out_of_bundle_use_and_credit_stops_at_zero(items, start):
    counters = Counters(credit=start)
    total = Decimal(0)
    for usage_type, destination, quantity in items:
        rated, after = rate(TERMS, counters, usage_type, destination, quantity)
        assert 0 <= rated.in_bundle <= quantity
        assert rated.charge == TERMS.charge(usage_type, quantity - rated.in_bundle)
        if destination in (Destination.international, Destination.premium):
            assert rated.in_bundle == 0
        total += rated.charge
        assert after.credit == max(Decimal(0), start - total) >= 0
        counters = after
    for usage_type in UsageType:
        allowance = TERMS.allowance(usage_type)
        assert allowance is not None
        in_bundle_total = counters.used(usage_type)
        assert in_bundle_total >= 0


# --- through the import, on the real database ----------------------------------------------


def _period(at: datetime) -> date:
    return at.astimezone(ROME).date().replace(day=1)


def _expected(rows: list[UsageRecord]) -> dict[tuple[int, date], dict[str, object]]:
    out: dict[tuple[int, date], dict[str, object]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        totals = out[(row.line_id, row.period)]
        eligible = row.destination in (Destination.national, Destination.eu_roaming)
        field = {
            UsageType.data: "data_bytes",
            UsageType.voice: "voice_seconds",
            UsageType.sms: "sms_count",
        }[row.usage_type]
        totals[field] += row.quantity if eligible else 0  # type: ignore[operator]
        if row.destination is Destination.eu_roaming:
            if row.usage_type is UsageType.data:
                totals["roaming_data_bytes"] += row.quantity  # type: ignore[operator]
            totals["roaming_charges"] += row.charge  # type: ignore[operator]
        totals["charges"] += row.charge  # type: ignore[operator]
    return out


def _batches(items: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(items[start : start + size])
        start += size
    return [*out, items[start:]]


@pytest.mark.parametrize("side_by_side", [False, True], ids=["one-transaction", "side-by-side"])
@given(records(), st.lists(st.integers(1, 15), max_size=3), st.decimals("0", "2", places=2))
@SETTINGS
async def test_counters_are_the_aggregate_of_the_records(
    engine, session, usage_world, monkeypatch, side_by_side, items, sizes, credit
):
    """Also when each share of the lines is written by a transaction of its own (PostgreSQL;
    the postpaid and the prepaid line are in different shares; every batch is split)."""
    monkeypatch.setattr(usage_service, "SPLIT_FROM", 1)
    await forget_usage(session)
    await set_credit(session, usage_world.numbers["prepaid"], credit)
    await session.commit()
    sessions = create_sessionmaker(engine) if side_by_side else None
    shares = {
        await line_id(session, usage_world.numbers[w]) % SHARES for w in ("postpaid", "prepaid")
    }
    assert len(shares) == 2
    numbered = [
        (
            n,
            UsageRecordIn(
                record_id=f"r{n}",
                line=usage_world.numbers[who],
                started_at=at,
                type=t,
                quantity=q,
                destination=d,
            ),
        )
        for n, (who, at, t, d, q) in enumerate(items, start=2)
    ]
    seen: dict = {}

    async def hook(_session, _now, changes):
        for change in changes:
            seen[(change.line.id, change.period)] = change.after

    for batch in _batches(numbered, sizes):
        await import_frame(session, NOW, frame_of(batch), on_counters=hook, side_by_side=sessions)
        if sessions is not None:
            await session.commit()
    await session.commit()

    rows = list(await session.scalars(select(UsageRecord)))
    assert len(rows) == len(items)
    for row in rows:
        assert row.charge == usage_world.terms.charge(row.usage_type, row.quantity - row.in_bundle)
        assert row.period == _period(row.started_at)
    expected = _expected(rows)
    counters = {(c.line_id, c.period): c for c in await session.scalars(select(LineCounter))}
    assert set(counters) == set(expected)
    for key, totals in expected.items():
        counter = counters[key]
        for name in (
            "data_bytes",
            "voice_seconds",
            "sms_count",
            "roaming_data_bytes",
            "charges",
            "roaming_charges",
        ):
            assert getattr(counter, name) == totals.get(name, 0), name
            assert getattr(seen[key], name) == getattr(counter, name)
        for usage_type in UsageType:  # the allowance is never given twice
            in_bundle = sum(
                r.in_bundle
                for r in rows
                if (r.line_id, r.period) == key and r.usage_type is usage_type
            )
            allowance = usage_world.terms.allowance(usage_type)
            assert allowance is None or in_bundle <= allowance

    daily = list(await session.scalars(select(DailyUsage)))
    assert sum(d.quantity for d in daily) == sum(r.quantity for r in rows)
    assert sum(d.charge for d in daily) == sum(r.charge for r in rows)

    prepaid = await line_id(session, usage_world.numbers["prepaid"])
    balance = await session.scalar(
        select(PrepaidBalance.balance).where(PrepaidBalance.line_id == prepaid)
    )
    charged = sum((r.charge for r in rows if r.line_id == prepaid), Decimal(0))
    assert balance == max(Decimal(0), credit - charged) >= 0


@given(records(), st.lists(st.integers(1, 15), max_size=3), st.decimals("0", "3", places=2))
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
async def test_the_alerts_pick_in_columns_exactly_the_line_periods_that_cross(
    session, usage_world, items, sizes, credit
):
    """`may_cross` (columns) picks the line periods where `crossings` (one by one) finds a
    threshold: the alerts hook is told about no fewer, and builds no more."""
    await forget_usage(session)
    await set_credit(session, usage_world.numbers["prepaid"], credit)
    numbered = [
        (
            n,
            UsageRecordIn(
                record_id=f"r{n}",
                line=usage_world.numbers[who],
                started_at=at,
                type=t,
                quantity=q,
                destination=d,
            ),
        )
        for n, (who, at, t, d, q) in enumerate(items, start=2)
    ]
    picked: set = set()
    told: list = []

    async def picks(_session, sums: pl.DataFrame) -> pl.Series:
        mask = may_cross(sums, Thresholds())
        picked.update(sums.filter(mask).select("line_id", "period").iter_rows())
        return pl.Series([True] * sums.height)  # tell the hook all, to compare

    async def hook(_session, _now, changes):
        told.extend(changes)

    for batch in _batches(numbered, sizes):
        await import_records(session, NOW, batch, on_counters=Watched(hook, picks))
    await session.commit()
    assert picked == {
        (c.line.id, c.period) for c in told if crossings(c.terms, c.before, c.after, Thresholds())
    }
