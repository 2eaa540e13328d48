"""The outbox worker: claims due messages, sends them, and records the outcome.

Delivery is at least once: a message is marked sent only after its gateway accepted it, so
a worker that dies between the two leaves it `sending`; once the lease runs out another
worker sends it again. Failed attempts are retried with exponential back-off and jitter
until `max_attempts`, then the message is `failed` with the last error as its reason.
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.errors import database_unavailable
from linedesk.kit.clock import Clock
from linedesk.kit.worker import BatchWorker
from linedesk.messaging import metrics
from linedesk.messaging.attachments import Sources, load_attachments
from linedesk.messaging.channels import ChannelNotConfigured, Outgoing, Sender, build_senders
from linedesk.messaging.models import OutboxMessage
from linedesk.messaging.repository import OutboxRepository
from linedesk.messaging.templates import render_message

log = structlog.get_logger()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 30.0
    max_seconds: float = 3600.0

    def delay(self, attempts: int) -> timedelta:
        """Exponential in the attempts made, capped, with jitter so retries spread out."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def describe(exc: BaseException) -> str:
    # The type and the gateway's words only: never the message body or credentials.
    return f"{type(exc).__name__}: {exc}"[:500]


class OutboxWorker(BatchWorker):
    failed_event = "outbox_batch_failed"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        senders: dict,
        clock: Clock,
        *,
        data_dir: Path,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.senders: dict = senders
        self.clock = clock
        self.data_dir = data_dir
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self.lease = lease

    @classmethod
    def from_settings(
        cls, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
    ) -> "OutboxWorker":
        policy = RetryPolicy(
            settings.outbox_max_attempts,
            settings.outbox_backoff_seconds,
            settings.outbox_backoff_max_seconds,
        )
        return cls(
            sessionmaker,
            build_senders(settings, sessionmaker),
            clock,
            data_dir=settings.data_dir,
            policy=policy,
            batch_size=settings.outbox_batch_size,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
        )

    async def run_once(self) -> int:
        """Process one batch; returns how many messages it claimed."""
        async with self.sessionmaker() as session, session.begin():
            claimed = list(
                await OutboxRepository(session).claim(self.clock.now(), self.batch_size, self.lease)
            )
        await asyncio.gather(*(self._process(message) for message in claimed))
        return len(claimed)

    async def after_batch(self) -> None:
        await self.refresh_metrics()

    async def refresh_metrics(self) -> None:
        async with self.sessionmaker() as session:
            await metrics.refresh_gauges(OutboxRepository(session), self.clock.now())

    async def close(self) -> None:
        for sender in {id(s): s for s in self.senders.values()}.values():
            await sender.close()

    async def _process(self, message: OutboxMessage) -> None:
        try:
            await self._send(message)
        except Exception as exc:  # any failure of a gateway is retried, never lost
            await self._record_failure(message, exc)
        else:
            await self._record(lambda repository: repository.mark_sent(message, self.clock.now()))
            metrics.SENT.labels(channel=message.channel.value).inc()
            log.info(
                "outbox_sent",
                message_id=message.id,
                channel=message.channel.value,
                template=message.template,
                attempt=message.attempts,
            )

    async def _send(self, message: OutboxMessage) -> None:
        sender: Sender | None = self.senders.get(message.channel)
        if sender is None:
            raise ChannelNotConfigured(f"no sender configured for {message.channel.value}")
        content = render_message(
            message.template, message.language, message.channel, message.payload
        )
        attachments = await load_attachments(
            message.attachments, Sources(self.data_dir, self.sessionmaker)
        )
        key = f"{message.id}.{message.created_at:%Y%m%d%H%M%S%f}"
        await sender.send(
            Outgoing(message.channel, message.recipient, content, attachments, key=key)
        )

    async def _record_failure(self, message: OutboxMessage, exc: Exception) -> None:
        reason = describe(exc)
        now = self.clock.now()
        if message.attempts >= self.policy.max_attempts:
            await self._record(lambda repository: repository.mark_failed(message, reason))
            metrics.FAILED.labels(channel=message.channel.value).inc()
            event = "outbox_failed"
        else:
            at = self._next_attempt(now, message)
            await self._record(lambda repository: repository.mark_retry(message, at, reason))
            metrics.RETRIED.labels(channel=message.channel.value).inc()
            event = "outbox_retry"
        log.warning(
            event,
            message_id=message.id,
            channel=message.channel.value,
            attempt=message.attempts,
            error_type=type(exc).__name__,
        )

    async def _record(self, write: Callable[[OutboxRepository], Awaitable[bool]]) -> None:
        """Write a message's outcome. While the database is briefly away (a restart, a
        failover) keep trying for up to half the lease: a message the gateway took and not
        recorded as sent would be sent again once its lease runs out."""
        give_up = time.monotonic() + self.lease.total_seconds() / 2
        pause = 0.25
        while True:
            try:
                async with self.sessionmaker() as session, session.begin():
                    await write(OutboxRepository(session))
                return
            except Exception as exc:
                if not database_unavailable(exc) or time.monotonic() + pause > give_up:
                    raise
                log.warning("outbox_record_retry", error_type=type(exc).__name__)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    def _next_attempt(self, now: datetime, message: OutboxMessage) -> datetime:
        return now + self.policy.delay(message.attempts)
