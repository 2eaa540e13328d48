"""The usage stream, in memory and (when LINEDESK_TEST_NATS_URL is set) on the real NATS
JetStream: counted once, acknowledged after the commit, bad messages dead-lettered with their
reason while the rest flows, alerts in the outbox once, consumers sharing a durable.

With LINEDESK_TEST_NATS_URL set, an unreachable NATS fails these tests: it never skips them.
"""

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from linedesk.alerts.service import Thresholds, alerts_hook
from linedesk.db import create_sessionmaker
from linedesk.kit.broker import Broker, MemoryBroker
from linedesk.messaging.models import OutboxMessage
from linedesk.usage.models import LineCounter, UsageRecord
from linedesk.usage.stream import MAX_MESSAGE_BYTES, StreamConfig, UsageConsumer, examine, parse
from tests.conftest import NOW
from tests.usage.conftest import line_id

NATS_URL = os.environ.get("LINEDESK_TEST_NATS_URL", "")
BACKENDS = ["memory", "nats"] if NATS_URL else ["memory"]
AT = datetime(2026, 11, 3, 10, tzinfo=UTC)


def record(
    record_id: str, line: str, usage_type: str = "data", quantity: int = 100_000, **extra: object
) -> dict[str, object]:
    return {
        "record_id": record_id,
        "line": line,
        "started_at": AT.isoformat(),
        "type": usage_type,
        "quantity": quantity,
        **extra,
    }


def ndjson(*records: dict[str, object]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


async def nats_broker() -> Broker:
    from linedesk.kit.nats import NatsBroker

    broker = NatsBroker(NATS_URL)
    try:
        await asyncio.wait_for(broker.connection(), 10)
    except Exception as exc:
        pytest.fail(f"LINEDESK_TEST_NATS_URL={NATS_URL} is set but NATS does not answer: {exc}")
    return broker


async def forget_stream(broker: Broker, name: str) -> None:
    from linedesk.kit.nats import NatsBroker

    assert isinstance(broker, NatsBroker)
    _, js = await broker.connection()
    await js.delete_stream(name)


@pytest.fixture
def config() -> StreamConfig:
    # Each test has a stream, subjects and durable of its own: parallel and earlier runs do
    # not interfere.
    tag = uuid.uuid4().hex[:10]
    return StreamConfig(
        stream=f"USAGE_TEST_{tag}",
        subject=f"usage-test-{tag}.records",
        dead_letter_subject=f"usage-test-{tag}.dead",
        durable=f"test-{tag}",
        batch_records=1000,
        batch_ms=100,
    )


@pytest.fixture(params=BACKENDS)
async def broker(request: pytest.FixtureRequest, config: StreamConfig) -> AsyncIterator[Broker]:
    if request.param == "memory":
        yield MemoryBroker()
        return
    broker = await nats_broker()
    yield broker
    await forget_stream(broker, config.stream)
    await broker.close()


def consumer(broker: Broker, engine, config: StreamConfig, **changes: object) -> UsageConsumer:  # type: ignore[no-untyped-def]
    return UsageConsumer(
        broker,
        create_sessionmaker(engine),
        lambda: NOW,
        replace(config, **changes),  # type: ignore[arg-type]
        on_counters=alerts_hook(Thresholds()),
    )


async def started(
    broker: Broker,
    engine,
    config: StreamConfig,
    **changes: object,  # type: ignore[no-untyped-def]
) -> UsageConsumer:
    found = consumer(broker, engine, config, **changes)
    await found.start()
    return found


async def counted(session, msisdn: str) -> LineCounter:  # type: ignore[no-untyped-def]
    found = await session.scalar(
        select(LineCounter)
        .where(LineCounter.line_id == await line_id(session, msisdn))
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


async def stored(session) -> int:  # type: ignore[no-untyped-def]
    return int(await session.scalar(select(func.count()).select_from(UsageRecord)))


async def dead_letters(broker: Broker, config: StreamConfig) -> list[tuple[bytes, str]]:
    reader = await broker.consumer(config.stream, config.dead_letter_subject, "dead-reader")
    found = await reader.fetch(100, 2)
    for delivery in found:
        await delivery.ack()
    return [(d.data, d.headers["Linedesk-Reason"]) for d in found]


async def test_single_and_batched_messages_count_once_even_when_sent_again(
    broker, engine, session, usage_world, config
):
    postpaid = usage_world.numbers["postpaid"]
    stream = await started(broker, engine, config)
    messages = [
        ndjson(record("s-1", postpaid, "sms", 1)),
        ndjson(*(record(f"s-{n}", postpaid, "sms", 1) for n in (2, 3))),
    ]
    for data in messages * 2:  # the mediation system sends everything twice
        await broker.publish(config.subject, data)
    outcome = await stream.step(idle=5)
    assert (outcome.messages, outcome.imported, outcome.duplicates, outcome.dead) == (4, 3, 3, 0)
    assert outcome.changed == {postpaid}
    assert (await counted(session, postpaid)).sms_count == 3
    assert await stored(session) == 3


async def test_a_batch_is_read_as_columns_numbered_by_its_line_in_the_batch(
    broker, engine, usage_world, config
):
    postpaid = usage_world.numbers["postpaid"]
    stream = await started(broker, engine, config)
    await broker.publish(config.subject, ndjson(record("c-1", postpaid, "sms", 1)))
    await broker.publish(
        config.subject, ndjson(record("c-2", postpaid, "sms", 1), record("c-3", postpaid))
    )
    batch = parse([examine(delivery) for delivery in await stream.collect(idle=5)])
    assert batch.parsed == [] and batch.errors == []  # no record built row by row
    frame = batch.frame()
    assert frame["row"].to_list() == [1, 2, 3]
    assert frame["record_id"].to_list() == ["c-1", "c-2", "c-3"]


async def test_a_batch_not_committed_is_delivered_again_and_counted_once(
    broker, engine, session, usage_world, config
):
    postpaid = usage_world.numbers["postpaid"]
    crashed = await started(broker, engine, config, ack_wait=1.0)
    await broker.publish(config.subject, ndjson(record("v-1", postpaid, "voice", 30)))
    taken = await crashed.collect(idle=5)  # pulled, then the process "dies" before the commit
    assert len(taken) == 1 and await stored(session) == 0
    restarted = await started(broker, engine, config, ack_wait=1.0)
    outcome = await restarted.step(idle=5)
    assert (outcome.imported, outcome.messages) == (1, 1)
    assert (await counted(session, postpaid)).voice_seconds == 30
    assert (await restarted.step(idle=1.5)).messages == 0  # acknowledged: nothing comes back


async def test_malformed_messages_go_to_the_dead_letter_subject_and_the_rest_is_counted(
    broker, engine, session, usage_world, config
):
    postpaid, fixed = usage_world.numbers["postpaid"], usage_world.numbers["fixed"]
    stream = await started(broker, engine, config)
    good = [
        ndjson(record("g-1", postpaid, "sms", 1)),
        ndjson(record("g-2", postpaid, "sms", 1), record("g-3", fixed, "voice", 60)),
    ]
    bad = {
        b'{"record_id": "b-1", "line": ': "line 1: not a JSON object",
        ndjson(record("b-2", "+393470000000", "sms", 1)): "line 1: line: no line has this",
        ndjson(
            record("g-4", postpaid), record("b-3", postpaid, quantity=-5)
        ): "line 2: quantity: Input should be greater than or equal to 0",
        b"x" * 1_000_000: f"message too large: 1000000 bytes (at most {MAX_MESSAGE_BYTES})",
        b"\xff\xfe": "not UTF-8 text",
        ndjson(record("b-4", fixed, "sms", 1)): "line 1: type: a fixed line has no sms use",
    }
    for data in [good[0], *bad, good[1]]:
        await broker.publish(config.subject, data)
    outcome = await stream.step(idle=5)
    assert (outcome.messages, outcome.imported, outcome.dead) == (8, 3, 6)
    assert (await counted(session, postpaid)).sms_count == 2
    assert (await counted(session, fixed)).voice_seconds == 60
    letters = dict(await dead_letters(broker, config))
    assert set(letters) == set(bad)
    for data, reason in bad.items():
        assert letters[data].startswith(reason), (letters[data], reason)
    # the stream keeps flowing
    await broker.publish(config.subject, ndjson(record("g-5", postpaid, "sms", 1)))
    assert (await stream.step(idle=5)).imported == 1


async def test_a_threshold_crossed_on_the_stream_puts_its_alert_in_the_outbox_once(
    broker, engine, session, usage_world, config
):
    postpaid = usage_world.numbers["postpaid"]  # 1 MB of data included
    stream = await started(broker, engine, config)
    crossing = ndjson(record("a-1", postpaid, quantity=850_000))
    for data in (crossing, ndjson(record("a-2", postpaid, quantity=10_000)), crossing):
        await broker.publish(config.subject, data)
        await stream.step(idle=5)
    alerts = list(await session.scalars(select(OutboxMessage.template)))
    assert alerts == ["usage_alert_80"]


async def test_consumers_on_one_durable_share_the_messages(
    broker, engine, session, usage_world, config
):
    postpaid = usage_world.numbers["postpaid"]
    first = await started(broker, engine, config, batch_records=4, batch_ms=50)
    second = await started(broker, engine, config, batch_records=4, batch_ms=50)
    for n in range(24):
        await broker.publish(config.subject, ndjson(record(f"c-{n}", postpaid, "voice", 1)))
    done = {"first": 0, "second": 0}

    async def drain(name: str, stream: UsageConsumer) -> None:
        while (outcome := await stream.step(idle=0.5)).messages:
            done[name] += outcome.imported
            await asyncio.sleep(0.01)  # let the other one pull too

    await asyncio.gather(drain("first", first), drain("second", second))
    assert done["first"] > 0 and done["second"] > 0
    assert done["first"] + done["second"] == 24
    assert (await counted(session, postpaid)).voice_seconds == 24
    assert await stored(session) == 24


async def test_the_running_consumer_writes_batches_side_by_side_and_counts_each_record_once(
    broker, engine, session, usage_world, config
):
    postpaid = usage_world.numbers["postpaid"]
    stream = await started(broker, engine, config, batch_records=5, batch_ms=20)
    for n in range(40):  # records 0–39, each sent twice in messages far apart
        await broker.publish(config.subject, ndjson(record(f"r-{n}", postpaid, "voice", 1)))
    for n in range(40):
        await broker.publish(config.subject, ndjson(record(f"r-{n}", postpaid, "voice", 1)))
    await stream.run(asyncio.Event(), until_idle=1.0)
    assert (stream.imported, stream.dead) == (40, 0)
    assert (await counted(session, postpaid)).voice_seconds == 40
    assert await stored(session) == 40
