"""Import through the service: idempotent by record id, all or nothing per batch."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from linedesk.db import create_sessionmaker
from linedesk.errors import Conflict
from linedesk.inventory.service import ImportRejected
from linedesk.usage import service as usage_service
from linedesk.usage.batch import frame_of
from linedesk.usage.files import UsageFileParser
from linedesk.usage.models import LineCounter, PrepaidBalance, UsageRecord, UsageType
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import import_frame, import_records, top_up
from tests.conftest import NOW
from tests.usage.conftest import HEADER, line_id

AT = datetime(2026, 11, 3, 10, tzinfo=UTC)


def record(
    n: int,
    line: str,
    usage_type: str = "data",
    quantity: int = 400_000,
    destination: str = "national",
    **extra,
) -> tuple[int, UsageRecordIn]:
    return n, UsageRecordIn(
        record_id=f"cdr-{n}",
        line=line,
        started_at=extra.get("at", AT),
        type=usage_type,
        quantity=quantity,
        destination=destination,
    )


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def _counter(session, msisdn: str) -> LineCounter:
    counter = await session.scalar(
        select(LineCounter)
        .where(LineCounter.line_id == await line_id(session, msisdn))
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    return counter


async def test_beyond_the_allowance_the_offer_rate_applies(session, usage_world):
    postpaid = usage_world.numbers["postpaid"]
    summary = await import_records(session, NOW, [record(n, postpaid) for n in (2, 3, 4)])
    await session.commit()
    assert (summary.imported, summary.duplicates) == (3, 0)
    rows = list(await session.scalars(select(UsageRecord).order_by(UsageRecord.record_id)))
    # 1 MB included: 400 kB + 400 kB free, then 200 kB free and 200 kB at 0.01 EUR/MB
    assert [r.in_bundle for r in rows] == [400_000, 400_000, 200_000]
    assert [r.charge for r in rows] == [0, 0, Decimal("0.002")]
    counter = await _counter(session, postpaid)
    assert (counter.data_bytes, counter.charges, counter.updated_at) == (
        1_200_000,
        Decimal("0.002"),
        NOW,
    )


async def test_importing_again_adds_nothing(session, usage_world):
    batch = [record(n, usage_world.numbers["postpaid"], "voice", 100) for n in (2, 3)]
    await import_records(session, NOW, batch)
    await session.commit()
    before = await _counter(session, usage_world.numbers["postpaid"])
    before_values = (before.voice_seconds, before.charges)
    again = await import_records(session, NOW, [*batch, batch[0]])
    await session.commit()
    assert (again.imported, again.duplicates) == (0, 3)
    after = await _counter(session, usage_world.numbers["postpaid"])
    assert (after.voice_seconds, after.charges) == before_values == (200, Decimal("0.253333"))
    assert await _count(session, UsageRecord) == 2


async def test_the_first_of_a_repeated_record_id_wins(session, usage_world):
    first = record(2, usage_world.numbers["postpaid"], "sms", 1)
    repeat = (3, first[1].model_copy(update={"quantity": 2}))
    summary = await import_records(session, NOW, [first, repeat])
    assert (summary.imported, summary.duplicates) == (1, 1)
    assert (await _counter(session, usage_world.numbers["postpaid"])).sms_count == 1


async def test_one_bad_row_rejects_the_batch_and_names_every_bad_row(session, usage_world):
    numbers = usage_world.numbers
    batch = [
        record(2, numbers["postpaid"]),
        record(3, "+393470000000"),
        record(4, numbers["ceased"]),
        record(5, numbers["fixed"], "sms", 1),
        record(6, numbers["fixed"], "voice", 10, "eu_roaming"),
        record(7, "not a number"),
        record(8, numbers["postpaid"], at=datetime(2027, 1, 1, tzinfo=UTC)),
    ]
    with pytest.raises(ImportRejected) as rejected:
        await import_records(session, NOW, batch)
    await session.rollback()
    assert [(d["row"], d["field"], d["reason"]) for d in rejected.value.details] == [
        (3, "line", "no line has this number"),
        (4, "line", "this line has ceased"),
        (5, "type", "a fixed line has no sms use"),
        (6, "destination", "a fixed line cannot roam"),
        (7, "line", "'not a number' is not a phone number"),
        (8, "started_at", "starts in the future"),
    ]
    assert await _count(session, UsageRecord) == 0
    assert await _count(session, LineCounter) == 0


async def test_a_number_written_another_way_counts_on_its_line(session, usage_world):
    """Numbers already in E.164 are taken as they are; the others are parsed (national form,
    spaces, 0039): all of them count on the same line."""
    postpaid = usage_world.numbers["postpaid"]
    national = postpaid.removeprefix("+39")
    written = [postpaid, national, f"{national[:3]} {national[3:]}", f"0039{national}"]
    summary = await import_records(
        session, NOW, [record(n, line, "sms", 1) for n, line in enumerate(written, 2)]
    )
    assert (summary.imported, summary.duplicates) == (4, 0)
    assert (await _counter(session, postpaid)).sms_count == 4


async def test_rows_that_cannot_be_read_reject_the_batch_with_the_rest(session, usage_world):
    parser = UsageFileParser(batch_size=10)
    text = (
        HEADER + f"a,{usage_world.numbers['postpaid']},2026-11-03T10:00:00Z,data,5,\n"
        f"b,{usage_world.numbers['postpaid']},yesterday,data,5,national\n"
        "c,+393470000000,2026-11-03T10:00:00Z,sms,one,national\n"
    )
    (batch,) = [*parser.feed(text), *parser.finish()]
    assert batch.rows == 3
    with pytest.raises(ImportRejected) as rejected:
        await import_records(session, NOW, batch.records, errors=batch.errors)
    assert [(d["row"], d["field"]) for d in rejected.value.details] == [
        (3, "started_at"),
        (4, "quantity"),
    ]


async def test_a_prepaid_line_pays_from_its_credit_down_to_zero(session, usage_world):
    prepaid = usage_world.numbers["prepaid"]
    await top_up(session, NOW, prepaid, Decimal("0.50"), "TOP-1")
    # 120 s included, then 0.19 EUR/min: 3 more minutes cost 0.57, more than the credit
    await import_records(
        session, NOW, [record(2, prepaid, "voice", 120), record(3, prepaid, "voice", 180)]
    )
    balance = await session.scalar(select(PrepaidBalance.balance))
    assert balance == 0
    assert (await _counter(session, prepaid)).charges == Decimal("0.57")


async def test_a_prepaid_line_without_credit_starts_at_zero(session, usage_world):
    prepaid = usage_world.numbers["prepaid"]
    await import_records(session, NOW, [record(2, prepaid, "sms", 2, "premium")])
    assert await session.scalar(select(PrepaidBalance.balance)) == 0


async def test_top_ups_are_idempotent_by_reference(session, usage_world):
    prepaid = usage_world.numbers["prepaid"]
    first = await top_up(session, NOW, prepaid, Decimal("10.00"), "TOP-1")
    assert first.balance == Decimal("10.00")
    again = await top_up(session, NOW, prepaid, Decimal("10.00"), "TOP-1")
    assert again.balance == Decimal("10.00")
    second = await top_up(session, NOW, prepaid, Decimal("5.00"), "TOP-2")
    assert second.balance == Decimal("15.00")


async def test_overlapping_batches_written_side_by_side_at_once_count_each_record_once(
    engine, session, usage_world, monkeypatch
):
    """Four importers at once, each splitting its batch by share of the lines (PostgreSQL;
    SQLite writes each batch in one transaction), over overlapping records of two lines in
    different shares: each record is stored once, the counters are the sum of the stored
    records, and the allowance is never given twice (each share's rating lock)."""
    monkeypatch.setattr(usage_service, "SPLIT_FROM", 1)
    await session.commit()
    numbers = [usage_world.numbers["postpaid"], usage_world.numbers["prepaid"]]
    sessions = create_sessionmaker(engine)
    batches = [
        [record(n, numbers[n % 2], quantity=150_000) for n in range(start, start + 12)]
        for start in (0, 6, 0, 9)
    ]

    async def importer(batch: list[tuple[int, UsageRecordIn]]) -> None:
        for _ in range(20):  # as the stream does: another importer stored some meanwhile
            try:
                async with sessions() as own:
                    await import_frame(own, NOW, frame_of(batch), side_by_side=sessions)
                    await own.commit()
                return
            except Conflict:
                await asyncio.sleep(0.05)
        pytest.fail("the import kept conflicting")

    await asyncio.gather(*(importer(batch) for batch in batches))
    rows = list(await session.scalars(select(UsageRecord)))
    assert sorted(r.record_id for r in rows) == sorted(f"cdr-{n}" for n in range(21))
    allowance = usage_world.terms.allowance(UsageType.data)
    for number in numbers:
        mine = [r for r in rows if r.line_id == await line_id(session, number)]
        counter = await _counter(session, number)
        assert counter.data_bytes == sum(r.quantity for r in mine)
        assert counter.charges == sum(r.charge for r in mine)
        assert sum(r.in_bundle for r in mine) == min(allowance, counter.data_bytes)
