"""The live bus: a change published by one process reaches the subscribers of every process,
in memory and (when LINEDESK_TEST_REDIS_URL is set) through the real Redis pub/sub.

With LINEDESK_TEST_REDIS_URL set, an unreachable Redis fails these tests: it never skips them.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from linedesk.kit.live import LiveBus, MemoryBus, RedisBus

REDIS_URL = os.environ.get("LINEDESK_TEST_REDIS_URL", "")
BACKENDS = ["memory", "redis"] if REDIS_URL else ["memory"]


@pytest.fixture(params=BACKENDS)
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[list[LiveBus]]:
    """Two API processes' buses and a consumer's (which only publishes)."""
    if request.param == "memory":  # one process: the same bus everywhere
        bus = MemoryBus()
        yield [bus, bus, bus]
        return
    channel = f"linedesk-test-{uuid.uuid4().hex[:12]}"
    found: list[LiveBus] = [RedisBus(REDIS_URL, channel) for _ in range(3)]
    for bus in found[:2]:
        await bus.start()
        assert isinstance(bus, RedisBus)
        try:
            await asyncio.wait_for(bus.listening.wait(), 5)
        except TimeoutError:
            pytest.fail(f"LINEDESK_TEST_REDIS_URL={REDIS_URL} is set but Redis does not answer")
    yield found
    for bus in found:
        await bus.close()


async def test_a_change_reaches_every_process_and_only_its_key(buses: list[LiveBus]):
    first, second, consumer = buses
    async with (
        first.subscribe("+393331111111") as mine,
        second.subscribe("+393331111111") as mine_elsewhere,
        second.subscribe("+393332222222") as other,
    ):
        await consumer.publish({"+393331111111", "+393339999999"})
        assert await mine.changed(within=5)
        assert await mine_elsewhere.changed(within=5)
        assert not await other.changed(within=0.3)


async def test_changes_before_the_page_reacts_are_one(buses: list[LiveBus]):
    first, _, consumer = buses
    async with first.subscribe("+393331111111") as mine:
        for _ in range(3):
            await consumer.publish(["+393331111111"])
        await asyncio.sleep(0.5)  # the page was busy meanwhile
        assert await mine.changed(within=5)
        assert not await mine.changed(within=0.3)  # one refresh, not three


async def test_a_publisher_in_another_thread_wakes_the_subscriber():
    bus = MemoryBus()
    async with bus.subscribe("+393331111111") as mine:
        await asyncio.to_thread(asyncio.run, bus.publish(["+393331111111"]))
        assert await mine.changed(within=2)
