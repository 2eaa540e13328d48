"""The usage stream (issue 14): records published by the operator's mediation system, read by a
durable pull consumer and imported a batch at a time through the same import as files.

A message holds one record or an NDJSON batch of them (the fields of a usage file's row). A
batch closes at `batch_records` records or `batch_ms` milliseconds, is imported in one
transaction, and only then are its messages acknowledged: a consumer killed mid-batch leaves
them to be delivered again, and a record delivered again adds nothing (record ids are
idempotent). A malformed message goes to the dead-letter subject with its reason and the rest
of the batch is imported; several consumers on the same durable share the messages.
"""

import asyncio
import bisect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.errors import Conflict
from linedesk.inventory.service import ImportRejected
from linedesk.kit.broker import Broker, Consumer, Delivery
from linedesk.kit.csvfile import RowError
from linedesk.usage.files import Batch, UsageFileParser
from linedesk.usage.live import numbers_of
from linedesk.usage.service import CountersHook, Watched, import_frame

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 512 * 1024
DEAD_LETTER_MAX_BYTES = 1_000_000  # under NATS's default max_payload, with the headers
RETRY_SECONDS = 2.0
CONFLICT_RETRIES = 5
BUSY_POLL_SECONDS = 0.01
Changed = Callable[[set[str]], Awaitable[None]]  # told the lines whose counters changed


@dataclass(frozen=True)
class StreamConfig:
    stream: str = "USAGE"
    subject: str = "usage.records"
    dead_letter_subject: str = "usage.dead"
    durable: str = "linedesk-usage"
    batch_records: int = 10_000
    batch_ms: int = 200
    ack_wait: float = 30.0

    @classmethod
    def of(cls, settings: Settings) -> "StreamConfig":
        return cls(
            settings.usage_stream,
            settings.usage_subject,
            settings.usage_dead_letter_subject,
            settings.usage_durable,
            settings.usage_batch_records,
            settings.usage_batch_ms,
        )


@dataclass
class Envelope:
    """A message of the batch: its lines in the batch's NDJSON text, and why it is bad."""

    delivery: Delivery
    text: str = ""
    first_row: int = 0
    rows: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    imported: int = 0
    duplicates: int = 0
    dead: int = 0
    messages: int = 0
    changed: set[str] = field(default_factory=set)


def examine(delivery: Delivery) -> Envelope:
    """The message as NDJSON text, or the reason it cannot be."""
    envelope, data = Envelope(delivery), delivery.data
    if len(data) > MAX_MESSAGE_BYTES:
        envelope.reasons.append(
            f"message too large: {len(data)} bytes (at most {MAX_MESSAGE_BYTES})"
        )
        return envelope
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        envelope.reasons.append("not UTF-8 text")
        return envelope
    lines = text.split("\n")
    starts = [line.lstrip()[:1] for line in lines]
    if not any(starts):
        envelope.reasons.append("empty message")
    else:
        envelope.reasons += [
            f"line {n}: not a JSON object"
            for n, start in enumerate(starts, 1)
            if start and start != "{"
        ]
    envelope.text = text if text.endswith("\n") else text + "\n"
    return envelope


def parse(envelopes: Sequence[Envelope]) -> Batch:
    """The good messages' records, numbered by their line in the batch's NDJSON text (read as
    columns where the parser can: `Batch.frame()`); the rows the parser finds bad are named
    in their message's reasons."""
    good = [e for e in envelopes if not e.reasons]
    row = 1
    for envelope in good:
        envelope.first_row, envelope.rows = row, envelope.text.count("\n")
        row += envelope.rows
    if not good:
        return Batch()
    parser = UsageFileParser(batch_size=row)
    batch = Batch()
    for part in [*parser.feed("".join(e.text for e in good)), *parser.finish()]:
        batch.parsed += part.parsed
        batch.columns += part.columns
        batch.errors += part.errors
        batch.rows += part.rows
    blame(good, batch.errors)
    return batch


def blame(envelopes: Sequence[Envelope], errors: Sequence[RowError]) -> None:
    """Put each row error in the reasons of the message that holds the row."""
    firsts = [e.first_row for e in envelopes]
    for error in errors:
        envelope = envelopes[bisect.bisect_right(firsts, error.row) - 1]
        where = f"line {error.row - envelope.first_row + 1}"
        envelope.reasons.append(
            f"{where}: {error.field}: {error.reason}" if error.field else f"{where}: {error.reason}"
        )


class UsageConsumer:
    """Pulls, imports and acknowledges batches until told to stop."""

    def __init__(
        self,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        config: StreamConfig,
        changed: Changed | None = None,
        *,
        on_counters: CountersHook | Watched | None = None,
    ) -> None:
        self.broker, self.sessionmaker, self.clock = broker, sessionmaker, clock
        self.config, self.changed = config, changed
        self.on_counters = on_counters  # the usage alerts, from the edge that starts us
        self._consumer: Consumer | None = None
        self.imported = self.dead = 0  # since the start, for the command's closing line
        self._per_message = 1.0  # records per message, learnt as messages arrive

    async def start(self) -> None:
        config = self.config
        await self.broker.ensure_stream(config.stream, [config.subject, config.dead_letter_subject])
        self._consumer = await self.broker.consumer(
            config.stream,
            config.subject,
            config.durable,
            ack_wait=config.ack_wait,
            max_pending=max(10_000, 4 * config.batch_records),
        )

    async def run(self, stop: asyncio.Event, *, until_idle: float = 0) -> None:
        """Batches until `stop` is set (or nothing came for `until_idle` seconds, if given).

        A pipeline: while a batch is written, the next is collected and parsed, and on
        PostgreSQL also checked (its lines read, its duplicates found) while the one before
        holds the rating lock. A batch closes no sooner than the write before it can make
        room, so under load it grows with what arrived meanwhile instead of waiting
        `batch_ms` more (that wait, added to every write, made freshness their sum)."""
        if self._consumer is None:
            await self.start()
        loop = asyncio.get_running_loop()
        depth = 2 if _side_by_side(self.sessionmaker) else 1  # batches written at once
        writing: list[asyncio.Task[Outcome]] = []
        active = loop.time()
        try:
            while not stop.is_set():
                busy = writing[0] if len(writing) >= depth else None
                try:
                    deliveries = await self.collect(1.0, busy=busy)
                except Exception:  # the broker away: it reconnects by itself
                    log.exception("usage stream: could not fetch; retrying")
                    await asyncio.sleep(RETRY_SECONDS)
                    continue
                envelopes = [examine(delivery) for delivery in deliveries]
                frame = parse(envelopes).frame() if envelopes else None
                while writing and (len(writing) >= depth or writing[0].done()):
                    await _finished(writing.pop(0))
                if frame is not None:
                    writing.append(asyncio.create_task(self._write(envelopes, frame)))
                    active = loop.time()
                elif until_idle and not writing and loop.time() - active >= until_idle:
                    break
        finally:
            for task in writing:
                await _finished(task)

    async def collect(
        self, idle: float, busy: asyncio.Future[Outcome] | None = None
    ) -> list[Delivery]:
        """Messages until the batch holds `batch_records` records or `batch_ms` passed since
        its first message (and, if given, `busy`, the write before, ended); waits up to
        `idle` seconds for a first one."""
        assert self._consumer is not None, "start() first"
        config, loop = self.config, asyncio.get_running_loop()
        # The first message alone (it comes as soon as there is one: a quiet stream must not
        # hold it back while waiting for a full batch), then the rest within batch_ms.
        out = await self._consumer.fetch(1, idle)
        closes = loop.time() + config.batch_ms / 1000
        records = self._count(out)
        while out and records < config.batch_records:
            left = closes - loop.time()
            if left <= 0:
                if busy is None or busy.done():
                    break
                left = BUSY_POLL_SECONDS  # what arrives until the write ends joins the batch
            more = await self._consumer.fetch(self._wanted(records), left)
            out += more
            records += self._count(more)
        return out

    def _count(self, deliveries: Sequence[Delivery]) -> int:
        records = sum(d.data.count(b"\n") or 1 for d in deliveries)
        if deliveries:
            self._per_message = max(1.0, records / len(deliveries))
        return records

    def _wanted(self, records: int) -> int:
        """Messages to ask for: about what fills the batch."""
        left = max(1, self.config.batch_records - records)
        return max(1, min(10_000, int(left / self._per_message)))

    async def step(self, idle: float = 1.0) -> Outcome:
        """One batch: collect, import (splitting off the bad messages), acknowledge."""
        deliveries = await self.collect(idle)
        if not deliveries:
            return Outcome()
        envelopes = [examine(delivery) for delivery in deliveries]
        return await self._write(envelopes, parse(envelopes).frame())

    async def _write(self, envelopes: Sequence[Envelope], frame: pl.DataFrame) -> Outcome:
        outcome = await self._import(envelopes, frame)
        await self._settle(envelopes)
        outcome.messages = len(envelopes)
        outcome.dead = sum(1 for e in envelopes if e.reasons)
        self.imported += outcome.imported
        self.dead += outcome.dead
        if self.changed is not None and outcome.changed:
            try:
                await self.changed(outcome.changed)
            except Exception:  # the bus away: the pages update at the next change
                log.warning("usage stream: could not announce the changed counters", exc_info=True)
        return outcome

    async def _import(self, envelopes: Sequence[Envelope], frame: pl.DataFrame) -> Outcome:
        good = [e for e in envelopes if not e.reasons]
        # each row's message: its index in `good` (the messages' rows follow one another)
        firsts = pl.Series([e.first_row for e in good], dtype=frame["row"].dtype)
        message = firsts.search_sorted(frame["row"], side="right") - 1
        conflicts = 0
        while True:
            dead = [i for i, envelope in enumerate(good) if envelope.reasons]
            fresh = frame.filter(~message.is_in(dead)) if dead else frame
            if fresh.is_empty():
                return Outcome()
            try:
                return await self._commit(fresh)
            except ImportRejected as exc:  # dead-letter the messages named, import the rest
                bad = sum(1 for e in good if e.reasons)
                blame(
                    good,
                    [
                        RowError(d["row"], d["reason"], d.get("field"))
                        for d in exc.details or []
                        if d.get("row", 0) >= 1
                    ],
                )
                if sum(1 for e in good if e.reasons) == bad:  # named no row: cannot split
                    raise
            except Conflict:  # another consumer stored some of them meanwhile: read again
                conflicts += 1
                if conflicts > CONFLICT_RETRIES:
                    raise
                await asyncio.sleep(0.05 * conflicts)

    async def _commit(self, frame: pl.DataFrame) -> Outcome:
        async with self.sessionmaker() as session, session.begin():
            # the alerts in the same transactions as the counters they watch
            summary = await import_frame(
                session,
                self.clock(),
                frame,
                on_counters=self.on_counters,
                side_by_side=self.sessionmaker,
            )
        outcome = Outcome(summary.imported, summary.duplicates)
        if summary.imported:  # the batch's lines (a line with only duplicates is told too)
            outcome.changed = numbers_of(frame["line"].unique().to_list())
        return outcome

    async def _settle(self, envelopes: Sequence[Envelope]) -> None:
        """After the commit: dead letters first (stored once per message), then the acks."""
        for envelope in envelopes:
            if envelope.reasons:
                await self._dead_letter(envelope)
        for envelope in envelopes:
            await envelope.delivery.ack()
        await self.broker.flush()

    async def _dead_letter(self, envelope: Envelope) -> None:
        delivery = envelope.delivery
        reason = "; ".join(envelope.reasons)
        log.warning("usage stream: message %s dead-lettered: %s", delivery.sequence, reason[:500])
        headers = {
            "Linedesk-Reason": _header_text(reason),
            "Linedesk-Subject": self.config.subject,
            "Linedesk-Sequence": str(delivery.sequence),
            "Linedesk-Size": str(len(delivery.data)),
        }
        await self.broker.publish(
            self.config.dead_letter_subject,
            delivery.data[:DEAD_LETTER_MAX_BYTES],
            headers,
            msg_id=f"dead-{self.config.durable}-{delivery.sequence}",
        )


def _header_text(reason: str, limit: int = 2000) -> str:
    """A header value: one line of ASCII (what a row held may be anything)."""
    flat = " ".join(reason.split())
    return flat.encode("ascii", "backslashreplace").decode("ascii")[:limit]


def _side_by_side(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """Whether two batches may be written at once: on PostgreSQL, which serialises only
    their rating (`usage.service._rating_locks`); SQLite serialises whole writers."""
    bind = sessionmaker.kw.get("bind")
    return bind is not None and bind.dialect.name == "postgresql"


async def _finished(writing: asyncio.Task[Outcome]) -> None:
    try:
        await writing
    except Exception:  # the database away, most likely: the messages come back
        log.exception("usage stream: batch failed; retrying")
        await asyncio.sleep(RETRY_SECONDS)
