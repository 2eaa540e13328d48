"""The outbox: stored with the change that causes it, delivered by workers, never lost."""

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.db import create_engine, create_sessionmaker
from linedesk.errors import ValidationFailed
from linedesk.kit.clock import FrozenClock
from linedesk.messaging.channels import Outgoing
from linedesk.messaging.channels.capture import CaptureSender
from linedesk.messaging.models import CapturedMessage, Channel, OutboxMessage, OutboxStatus
from linedesk.messaging.repository import OutboxRepository
from linedesk.messaging.service import enqueue
from linedesk.messaging.worker import OutboxWorker
from tests.conftest import NOW
from tests.messaging.conftest import advance, outbox, put

PAYLOAD = {"name": "Giulia", "note": "Nota."}


async def test_a_rolled_back_transaction_leaves_no_message(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await enqueue(session, Channel.sms, "+393471234567", "test_message", "it", PAYLOAD, now=NOW)
        await session.rollback()
    assert await outbox(sessionmaker) == []


async def test_a_committed_message_waits_in_the_outbox(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessionmaker, Channel.email, "giulia@example.it", language="en")
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts, message.language) == (OutboxStatus.pending, 0, "en")
    assert message.company_id is None


async def test_an_unknown_template_or_language_is_refused(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed):
        await enqueue(session, Channel.sms, "+39347", "no_such_template", "it", {}, now=NOW)
    with pytest.raises(ValidationFailed):
        await enqueue(session, Channel.sms, "+39347", "test_message", "fr", {}, now=NOW)


async def test_capture_keeps_the_message_in_the_users_language(
    sessionmaker: async_sessionmaker[AsyncSession], make_worker: Callable[..., OutboxWorker]
) -> None:
    await put(sessionmaker, Channel.email, "giulia@example.it", language="it")
    await put(sessionmaker, Channel.sms, "+393471234567", language="en")
    worker = make_worker(dict.fromkeys(Channel, CaptureSender(sessionmaker)))
    assert await worker.run_until_idle() == 2
    async with sessionmaker() as session:
        captured = {m.channel: m for m in (await session.scalars(select(CapturedMessage))).all()}
    email, sms = captured[Channel.email], captured[Channel.sms]
    assert email.subject == "Messaggio di prova da linedesk"
    assert "Ciao Giulia" in email.text and "<p>Ciao Giulia,</p>" in (email.html or "")
    assert sms.text == "linedesk: test message for Giulia. Nota di prova."
    assert {m.status for m in await outbox(sessionmaker)} == {OutboxStatus.sent}


async def test_a_worker_that_died_mid_send_is_replaced_after_the_lease(
    sessionmaker: async_sessionmaker[AsyncSession],
    moving_clock: FrozenClock,
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(sessionmaker, Channel.sms, "+393471234567")
    worker = make_worker(dict.fromkeys(Channel, CaptureSender(sessionmaker)))
    async with sessionmaker() as session, session.begin():  # claimed, then the worker dies
        assert len(await OutboxRepository(session).claim(NOW, 10, worker.lease)) == 1
    assert await worker.run_once() == 0  # still leased to the dead worker
    advance(moving_clock, worker.lease.total_seconds() + 1)
    assert await worker.run_once() == 1
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts) == (OutboxStatus.sent, 2)


async def test_a_channel_without_a_sender_fails_after_max_attempts_with_its_reason(
    sessionmaker: async_sessionmaker[AsyncSession],
    moving_clock: FrozenClock,
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(sessionmaker, Channel.push, '{"endpoint": "http://127.0.0.1:9/x"}')
    worker = make_worker({}, max_attempts=2)
    await worker.run_once()
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts) == (OutboxStatus.pending, 1)
    assert message.next_attempt_at > moving_clock.now()
    assert await worker.run_once() == 0  # not due before its back-off
    advance(moving_clock, 60)
    await worker.run_once()
    [message] = await outbox(sessionmaker)
    assert message.status is OutboxStatus.failed
    assert message.last_error == "ChannelNotConfigured: no sender configured for push"


@pytest.mark.parametrize("workers", [2, 4])
async def test_concurrent_workers_never_send_a_message_twice(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
    workers: int,
) -> None:
    async with sessionmaker() as session, session.begin():
        for n in range(300):
            await enqueue(
                session, Channel.sms, f"+39347{n:07d}", "test_message", "it", PAYLOAD, now=NOW
            )
    pool = [
        make_worker(dict.fromkeys(Channel, CaptureSender(sessionmaker)), batch_size=7)
        for _ in range(workers)
    ]
    counts = await asyncio.gather(*(w.run_until_idle() for w in pool))
    assert sum(counts) == 300
    async with sessionmaker() as session:
        recipients = (await session.scalars(select(CapturedMessage.recipient))).all()
        sent = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.sent)
        )
    assert len(recipients) == 300 and max(Counter(recipients).values()) == 1
    assert sent == 300


async def test_a_database_blip_right_after_the_gateway_took_a_message_does_not_resend_it(
    sessionmaker: async_sessionmaker[AsyncSession], make_worker: Callable[..., OutboxWorker]
) -> None:
    await put(sessionmaker, Channel.email, "giulia@example.it")
    capture = CaptureSender(sessionmaker)
    away = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")

    class PullsThePlug:  # takes the message, then the database is away for a moment
        async def send(self, message: Outgoing) -> None:
            await capture.send(message)
            worker.sessionmaker = create_sessionmaker(away)
            asyncio.get_running_loop().call_later(
                0.6, setattr, worker, "sessionmaker", sessionmaker
            )

        async def close(self) -> None:
            return None

    worker = make_worker({Channel.email: PullsThePlug()})
    try:
        assert await worker.run_once() == 1
    finally:
        await away.dispose()
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts) == (OutboxStatus.sent, 1)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CapturedMessage)) == 1
