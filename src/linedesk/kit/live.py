"""A bus that tells every API process that something changed (a line's counters), so that the
pages open on it update themselves: Redis pub/sub when Redis is configured (production, any
number of processes), else inside this process (the embedded mode).

Only keys travel (e.g. line numbers), never data: a page that hears of a change reads it
again through the usual, authorised path. Subscribers coalesce: many changes before a page
reacts are one change.
"""

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Collection
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "linedesk:live"
CHUNK = 2000  # keys per Redis message


class Subscription:
    """Changes of one key, heard in the event loop that subscribed (publishers may be in
    another thread)."""

    def __init__(self, fanout: "Fanout", key: str) -> None:
        self.fanout, self.key = fanout, key
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def notify(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._changed.set()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._changed.set)

    async def changed(self, within: float) -> bool:
        """True when the key changed since the last call (or within `within` seconds)."""
        try:
            await asyncio.wait_for(self._changed.wait(), within)
        except TimeoutError:
            return False
        self._changed.clear()
        return True

    async def __aenter__(self) -> "Subscription":
        self.fanout.add(self)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.fanout.remove(self)


class Fanout:
    """The subscriptions of this process, by key."""

    def __init__(self) -> None:
        self._by_key: dict[str, set[Subscription]] = {}

    def add(self, subscription: Subscription) -> None:
        self._by_key.setdefault(subscription.key, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        found = self._by_key.get(subscription.key)
        if found is not None:
            found.discard(subscription)
            if not found:
                del self._by_key[subscription.key]

    def notify(self, keys: Collection[str]) -> None:
        for key in keys:
            for subscription in list(self._by_key.get(key, ())):
                subscription.notify()


class LiveBus(ABC):
    def __init__(self) -> None:
        self.fanout = Fanout()

    def subscribe(self, key: str) -> Subscription:
        return Subscription(self.fanout, key)

    @abstractmethod
    async def publish(self, keys: Collection[str]) -> None:
        """Tell every process that these keys changed (after the change committed)."""

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class MemoryBus(LiveBus):
    async def publish(self, keys: Collection[str]) -> None:
        self.fanout.notify(keys)


class RedisBus(LiveBus):
    """PUBLISH to one channel; each process listens with one connection and fans out."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        import redis.asyncio

        self.channel = channel
        self._client: Any = redis.asyncio.Redis.from_url(url)
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    async def publish(self, keys: Collection[str]) -> None:
        ordered = sorted(keys)
        for start in range(0, len(ordered), CHUNK):
            await self._client.publish(self.channel, json.dumps(ordered[start : start + CHUNK]))

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="live-bus")

    async def _listen(self) -> None:
        while True:
            try:
                async with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.listening.set()
                    async for message in pubsub.listen():
                        self.fanout.notify(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis away: pages stop updating until it is back
                self.listening.clear()
                log.warning("live bus: Redis unreachable, retrying", exc_info=True)
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._client.aclose()


def live_bus(redis_url: str) -> LiveBus:
    return RedisBus(redis_url) if redis_url else MemoryBus()
