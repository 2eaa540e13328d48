"""The outbox's metrics as Prometheus scrapes them from GET /metrics."""

import asyncio
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.kit.clock import FrozenClock
from linedesk.messaging.channels.capture import CaptureSender
from linedesk.messaging.models import Channel, OutboxStatus
from linedesk.messaging.repository import OutboxRepository
from linedesk.messaging.worker import OutboxWorker
from tests.conftest import NOW
from tests.messaging.conftest import advance, outbox, put

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    # A counter whose label was never used is absent from the page: zero so far.
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def run_until_settled(
    worker: OutboxWorker, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Run the worker's own loop (as `linedesk worker` does) until nothing is due, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, idle_seconds=0.01))
    for _ in range(500):
        if {m.status for m in await outbox(sessionmaker)} <= {
            OutboxStatus.sent,
            OutboxStatus.failed,
            OutboxStatus.sending,
        }:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task  # the loop refreshes the gauges after every batch, before it looks at `stop`


async def test_metrics_count_sent_and_failed_per_channel_and_age_the_oldest_pending(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    moving_clock: FrozenClock,
    make_worker: Callable[..., OutboxWorker],
) -> None:
    # Counters are process-global: other tests move them too, so compare before and after.
    before = await scrape(client)
    await put(sessionmaker, Channel.sms, "+393471234567")  # to be stuck in `sending`
    await put(sessionmaker, Channel.email, "giulia@example.it")
    await put(sessionmaker, Channel.push, '{"endpoint": "http://127.0.0.1:9/x"}')
    worker = make_worker({Channel.email: CaptureSender(sessionmaker)}, max_attempts=1)
    async with sessionmaker() as session, session.begin():  # a worker claims the SMS, then dies
        [stuck] = await OutboxRepository(session).claim(NOW, 1, worker.lease)
    assert stuck.channel is Channel.sms
    advance(moving_clock, 90)  # well inside the dead worker's lease

    await run_until_settled(worker, sessionmaker)

    after = await scrape(client)
    statuses = {m.channel: m.status for m in await outbox(sessionmaker)}
    assert statuses == {
        Channel.sms: OutboxStatus.sending,
        Channel.email: OutboxStatus.sent,
        Channel.push: OutboxStatus.failed,
    }

    def increase(name: str, channel: str) -> float:
        return value(after, name, channel=channel) - value(before, name, channel=channel)

    assert increase("linedesk_outbox_sent_total", "email") == 1
    assert increase("linedesk_outbox_failed_total", "push") == 1
    for channel in ("sms", "push"):
        assert increase("linedesk_outbox_sent_total", channel) == 0
    for channel in ("sms", "email"):
        assert increase("linedesk_outbox_failed_total", channel) == 0
    assert value(after, "linedesk_outbox_queued", channel="sms") == 1
    assert value(after, "linedesk_outbox_queued", channel="email") == 0
    assert value(after, "linedesk_outbox_queued", channel="push") == 0
    assert value(after, "linedesk_outbox_oldest_pending_age_seconds") == 90
