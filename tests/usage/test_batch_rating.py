"""Batch rating (columns) equals the reference (`rating.rate`, record by record in start
order): on its own for many random batches, and through the import on the real database with
duplicates, unknown and ceased lines, batch after batch."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from linedesk.inventory.service import ImportRejected
from linedesk.kit.clock import ROME
from linedesk.usage.batch import changes, frame_of, from_micros, rate_frame, totals
from linedesk.usage.models import (
    Destination,
    LineCounter,
    PrepaidBalance,
    UsageRecord,
    UsageType,
)
from linedesk.usage.rating import Counters, OfferTerms, rate
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import import_records
from tests.conftest import NOW
from tests.usage.conftest import forget_usage, line_id, set_credit

# Instants where rating changes its mind: Rome's DST change (25 Oct 2026, 01:00 UTC) and
# the October/November boundary in Rome (31 Oct, 23:00 UTC), a second either side.
EDGES = [datetime(2026, 10, 25, 1, 0, tzinfo=UTC), datetime(2026, 10, 31, 23, 0, tzinfo=UTC)]
INSTANTS = st.one_of(
    st.sampled_from([edge + timedelta(seconds=s) for edge in EDGES for s in (-1, 0, 1)]),
    st.integers(0, 40 * 24 * 3600).map(
        lambda s: datetime(2026, 10, 10, tzinfo=UTC) + timedelta(seconds=s)
    ),
)
QUANTITIES = {
    UsageType.data: st.integers(0, 1_500_000),
    UsageType.voice: st.integers(0, 150),
    UsageType.sms: st.integers(0, 4),
}
OFFERS = {
    1: OfferTerms(
        1_000_000, 120, 3, 500_000, Decimal("0.0100"), Decimal("0.1900"), Decimal("0.1900")
    ),
    2: OfferTerms(
        None, None, None, 800_000, Decimal("1.2345"), Decimal("0.0700"), Decimal("0.0001")
    ),
    3: OfferTerms(
        2_000_000, 60, None, None, Decimal("0.0003"), Decimal("1.0000"), Decimal("0.0500")
    ),
}
LINES = {10: 1, 11: 1, 12: 2, 13: 3}  # line id → offer id
PREPAID = (11, 13)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def records(draw: st.DrawFn) -> list[tuple[int, datetime, UsageType, Destination, int]]:
    out = []
    for _ in range(draw(st.integers(0, 30))):
        usage_type = draw(st.sampled_from(UsageType))
        out.append(
            (
                draw(st.sampled_from(list(LINES))),
                draw(INSTANTS),
                usage_type,
                draw(st.sampled_from(Destination)),
                draw(QUANTITIES[usage_type]),
            )
        )
    return out


def _period(at: datetime) -> date:
    return at.astimezone(ROME).date().replace(day=1)


def reference(items, terms, line_offers, counters, balances):
    """The record-by-record rating the import did before batches: per line, in start order."""
    order = sorted(items, key=lambda r: (r[1], r[2], r[0]))  # line, start, record id
    credit, before, after, rated = dict(balances), {}, {}, {}
    for record_id, line, at, usage_type, destination, quantity in order:
        key = (line, _period(at))
        current = after.get(key)
        if current is None:
            current = counters.get(key, Counters())
            if line in credit:
                current = replace(current, credit=credit[line])
            before[key] = current
        result, current = rate(terms[line_offers[line]], current, usage_type, destination, quantity)
        after[key] = current
        if current.credit is not None:
            credit[line] = current.credit
        rated[record_id] = (result.in_bundle, result.charge)
    return rated, before, after, credit


@given(
    records(),
    st.dictionaries(
        st.sampled_from(list(LINES)),
        st.tuples(
            st.integers(0, 2_000_000),
            st.integers(0, 200),
            st.integers(0, 5),
            st.integers(0, 900_000),
        ),
    ),
    st.decimals("0", "3", places=6),
    st.decimals("0", "1", places=2),
)
@settings(max_examples=300, deadline=None)
def test_batch_rating_equals_the_reference(items, started, credit_a, credit_b):
    numbered = [(f"r{n}", *item) for n, item in enumerate(items)]
    counters = {
        (line, period): Counters(*used)
        for line, used in started.items()
        for period in (date(2026, 10, 1), date(2026, 11, 1))
    }
    balances = {11: credit_a, 13: credit_b}
    frame = frame_of(
        [
            (
                n,
                UsageRecordIn(
                    record_id=rid,
                    line="+393470000000",
                    started_at=at,
                    type=t,
                    quantity=q,
                    destination=d,
                ),
            )
            for n, (rid, _, at, t, d, q) in enumerate(numbered)
        ]
    )
    day = pl.col("started_at").dt.convert_time_zone("Europe/Rome").dt.date()
    frame = frame.with_columns(
        line_id=pl.Series([r[1] for r in numbered], dtype=pl.Int64), day=day
    ).with_columns(
        offer_id=pl.col("line_id").replace_strict(LINES, return_dtype=pl.Int64),
        period=pl.col("day").dt.month_start(),
    )
    keys = set(frame.select("line_id", "period").iter_rows())
    start = {key: counters.get(key, Counters()) for key in keys}
    batch_balances = {
        line: balances[line] for line in PREPAID if line in frame["line_id"].to_list()
    }
    rated = rate_frame(frame, OFFERS, start, batch_balances)
    done = totals(rated, batch_balances)
    got_before, got_after = changes(done, batch_balances)

    expected, before, after, credit = reference(numbered, OFFERS, LINES, counters, batch_balances)
    got = {
        rid: (in_bundle, from_micros(charge))
        for rid, in_bundle, charge in rated.select("record_id", "in_bundle", "charge").iter_rows()
    }
    assert got == expected
    assert got_before == before
    assert got_after == after
    assert {line: c[1] for line, c in done.credit.items()} == credit
    daily = {}
    for _, line, at, usage_type, _, quantity in numbered:
        key = (line, at.astimezone(ROME).date(), usage_type.value)
        daily[key] = daily.get(key, 0) + quantity
    assert {(r[0], r[1], r[2]): r[3] for r in done.daily.iter_rows()} == daily


# --- through the import, on the real database ----------------------------------------------

WHO = ("postpaid", "prepaid", "postpaid", "prepaid", "ceased", "unknown", "again")
DB_INSTANTS = st.one_of(
    st.sampled_from([e + timedelta(seconds=s) for e in EDGES for s in (-1, 0, 1)]),
    st.integers(0, 50 * 24 * 60).map(
        lambda m: datetime(2026, 9, 28, tzinfo=UTC) + timedelta(minutes=m)
    ),
)


@st.composite
def db_records(draw: st.DrawFn) -> list[tuple[str, datetime, UsageType, Destination, int]]:
    out = []
    for _ in range(draw(st.integers(1, 30))):
        usage_type = draw(st.sampled_from(UsageType))
        out.append(
            (
                draw(st.sampled_from(WHO)),
                draw(DB_INSTANTS),
                usage_type,
                draw(st.sampled_from(Destination)),
                draw(QUANTITIES[usage_type]),
            )
        )
    return out


@given(
    db_records(),
    st.lists(st.integers(1, 12), max_size=3),
    st.decimals("0", "2", places=2),
    st.randoms(use_true_random=False),
)
@SETTINGS
async def test_the_import_rates_like_the_reference_batch_after_batch(
    session, usage_world, items, sizes, credit, rnd
):
    await forget_usage(session)
    await set_credit(session, usage_world.numbers["prepaid"], credit)
    numbers = {**usage_world.numbers, "unknown": "+393479999999"}
    ids = {
        name: await line_id(session, numbers[name]) for name in ("postpaid", "prepaid", "ceased")
    }
    records: list[UsageRecordIn] = []
    for n, (who, at, t, d, q) in enumerate(items):
        if who == "again" and records:  # a record id seen before, maybe in another batch
            records.append(rnd.choice(records))
            continue
        who = "postpaid" if who == "again" else who
        records.append(
            UsageRecordIn(
                record_id=f"r{n}",
                line=numbers[who],
                started_at=at,
                type=t,
                quantity=q,
                destination=d,
            )
        )
    offers = {line: 1 for line in ids.values()}
    state: dict = {}
    balance = {ids["prepaid"]: credit}
    stored: dict[str, tuple[int, Decimal]] = {}
    start, row = 0, 2
    for size in [*sizes, len(records)]:
        batch = [(row + i, r) for i, r in enumerate(records[start : start + size])]
        start, row = start + size, row + size
        if not batch:
            continue
        fresh: dict[str, tuple[int, UsageRecordIn]] = {}
        for item in batch:
            if item[1].record_id not in stored:
                fresh.setdefault(item[1].record_id, item)
        bad = sorted(
            n for n, r in fresh.values() if r.line in (numbers["ceased"], numbers["unknown"])
        )
        if bad:
            with pytest.raises(ImportRejected) as rejected:
                await import_records(session, NOW, batch)
            await session.rollback()
            assert sorted({d["row"] for d in rejected.value.details}) == bad
            continue
        await import_records(session, NOW, batch)
        await session.commit()
        items_ = [
            (
                r.record_id,
                ids["postpaid" if r.line == numbers["postpaid"] else "prepaid"],
                r.started_at,
                r.type,
                r.destination,
                r.quantity,
            )
            for _, r in fresh.values()
        ]
        keys = {(line, _period(at)) for _, line, at, *_ in items_}
        rated, _, after, credit_after = reference(
            items_,
            {1: usage_world.terms},
            offers,
            {key: state.get(key, Counters()) for key in keys},
            balance,
        )
        stored.update(rated)
        state.update({key: replace(value, credit=None) for key, value in after.items()})
        balance.update(credit_after)

    rows = {
        r.record_id: (r.in_bundle, r.charge) for r in await session.scalars(select(UsageRecord))
    }
    assert rows == stored
    counters = {
        (c.line_id, c.period): Counters(
            c.data_bytes,
            c.voice_seconds,
            c.sms_count,
            c.roaming_data_bytes,
            c.charges,
            c.roaming_charges,
            c.roaming_events,
        )
        for c in await session.scalars(select(LineCounter))
    }
    assert counters == state
    stored_balance = await session.scalar(
        select(PrepaidBalance.balance).where(PrepaidBalance.line_id == ids["prepaid"])
    )
    assert stored_balance == balance[ids["prepaid"]]
