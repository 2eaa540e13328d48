"""A message broker behind a small interface: a stream that keeps what is published to its
subjects, and durable consumers that pull from it, each message until it is acknowledged.

`NatsBroker` is NATS JetStream (production); `MemoryBroker` keeps everything in the process
(the embedded demo, and the tests without a NATS server). A Kafka adapter would implement the
same three classes: a topic per subject, a consumer group per durable, commit as the ack.
"""

import asyncio
import contextlib
import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class Delivery(ABC):
    """One message handed to a consumer; it comes back (to any consumer of the durable)
    unless acknowledged before the ack wait ends."""

    @property
    @abstractmethod
    def data(self) -> bytes: ...

    @property
    @abstractmethod
    def headers(self) -> Mapping[str, str]: ...

    @property
    @abstractmethod
    def sequence(self) -> int:
        """The message's position in its stream (the same at every delivery)."""

    @property
    @abstractmethod
    def deliveries(self) -> int:
        """1 the first time the message is handed out, 2 the next, …"""

    @abstractmethod
    async def ack(self) -> None: ...

    @abstractmethod
    async def nak(self, delay: float = 0) -> None:
        """Give the message back now, to be handed out again after `delay` seconds."""


class Consumer(ABC):
    @abstractmethod
    async def fetch(self, max_messages: int, wait: float) -> list[Delivery]:
        """What is there now (up to `max_messages`), else the first messages to arrive
        within `wait` seconds; an empty list when none did."""


class Broker(ABC):
    @abstractmethod
    async def ensure_stream(self, name: str, subjects: Sequence[str]) -> None:
        """Create the stream if it is missing; make it keep `subjects` if it does not."""

    async def publish(
        self,
        subject: str,
        data: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        msg_id: str | None = None,
    ) -> None:
        """Publish and wait until the stream has stored it; a `msg_id` seen recently is
        stored once."""
        await self._publish(subject, data, dict(headers or {}), msg_id)

    async def consumer(
        self,
        stream: str,
        subject: str,
        durable: str,
        *,
        ack_wait: float = 30.0,
        max_pending: int = 50_000,
    ) -> Consumer:
        """The durable pull consumer of `subject` (created if missing): every process that
        asks for the same durable shares its messages."""
        return await self._consumer(stream, subject, durable, ack_wait, max_pending)

    @abstractmethod
    async def _publish(
        self, subject: str, data: bytes, headers: dict[str, str], msg_id: str | None
    ) -> None: ...

    @abstractmethod
    async def _consumer(
        self, stream: str, subject: str, durable: str, ack_wait: float, max_pending: int
    ) -> Consumer: ...

    async def flush(self) -> None:
        """Wait until what was sent (acknowledgements included) reached the broker."""
        return None

    async def close(self) -> None:
        return None


# --- in the process ----------------------------------------------------------------------


@dataclass
class _Stored:
    sequence: int
    subject: str
    data: bytes
    headers: dict[str, str]


@dataclass
class _Stream:
    subjects: set[str]
    messages: list[_Stored] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)


@dataclass
class _Durable:
    stream: _Stream
    subject: str
    ack_wait: float
    max_pending: int
    cursor: int = 0  # index in stream.messages of the next message not yet handed out
    pending: dict[int, tuple[float, int, _Stored]] = field(default_factory=dict)  # seq → due, n
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryDelivery(Delivery):
    def __init__(self, durable: _Durable, stored: _Stored, deliveries: int) -> None:
        self._durable, self._stored, self._deliveries = durable, stored, deliveries

    @property
    def data(self) -> bytes:
        return self._stored.data

    @property
    def headers(self) -> Mapping[str, str]:
        return self._stored.headers

    @property
    def sequence(self) -> int:
        return self._stored.sequence

    @property
    def deliveries(self) -> int:
        return self._deliveries

    async def ack(self) -> None:
        self._durable.pending.pop(self._stored.sequence, None)

    async def nak(self, delay: float = 0) -> None:
        if self._stored.sequence in self._durable.pending:
            self._durable.pending[self._stored.sequence] = (
                time.monotonic() + delay,
                self._deliveries,
                self._stored,
            )
            self._durable.arrived.set()


class MemoryConsumer(Consumer):
    def __init__(self, durable: _Durable) -> None:
        self._durable = durable

    async def fetch(self, max_messages: int, wait: float) -> list[Delivery]:
        deadline = time.monotonic() + wait
        while True:
            out = self._take(max_messages)
            left = deadline - time.monotonic()
            if out or left <= 0:
                return out
            self._durable.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._durable.arrived.wait(), min(left, 0.05))

    def _take(self, max_messages: int) -> list[Delivery]:
        durable, now = self._durable, time.monotonic()
        out: list[Delivery] = []
        for sequence, (due, count, stored) in list(durable.pending.items()):
            if len(out) >= max_messages:
                return out
            if due <= now:  # not acknowledged in time: hand it out again
                durable.pending[sequence] = (now + durable.ack_wait, count + 1, stored)
                out.append(MemoryDelivery(durable, stored, count + 1))
        messages = durable.stream.messages
        while (
            len(out) < max_messages
            and durable.cursor < len(messages)
            and len(durable.pending) < durable.max_pending
        ):
            stored = messages[durable.cursor]
            durable.cursor += 1
            if stored.subject == durable.subject:
                durable.pending[stored.sequence] = (now + durable.ack_wait, 1, stored)
                out.append(MemoryDelivery(durable, stored, 1))
        return out


class MemoryBroker(Broker):
    """Streams kept in this process, for one event loop; nothing survives the process."""

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._durables: dict[tuple[str, str], _Durable] = {}
        self._sequence = itertools.count(1)

    async def ensure_stream(self, name: str, subjects: Sequence[str]) -> None:
        self._streams.setdefault(name, _Stream(set())).subjects.update(subjects)

    async def _publish(
        self, subject: str, data: bytes, headers: dict[str, str], msg_id: str | None
    ) -> None:
        stream = next((s for s in self._streams.values() if subject in s.subjects), None)
        if stream is None:
            raise LookupError(f"no stream keeps the subject {subject}")
        if msg_id is not None:
            if msg_id in stream.ids:
                return
            stream.ids.add(msg_id)
        stream.messages.append(_Stored(next(self._sequence), subject, data, headers))
        for durable in self._durables.values():
            if durable.stream is stream:
                durable.arrived.set()

    async def _consumer(
        self, stream: str, subject: str, durable: str, ack_wait: float, max_pending: int
    ) -> Consumer:
        if stream not in self._streams:
            raise LookupError(f"no stream {stream}")
        found = self._durables.setdefault(
            (stream, durable), _Durable(self._streams[stream], subject, ack_wait, max_pending)
        )
        return MemoryConsumer(found)


def broker_for(url: str) -> Broker:
    """NATS for a `nats://` URL, else the in-process broker."""
    if url:
        from linedesk.kit.nats import NatsBroker

        return NatsBroker(url)
    return MemoryBroker()


__all__ = ["Broker", "Consumer", "Delivery", "MemoryBroker", "broker_for"]
