"""E-mail over SMTP to a real server (aiosmtpd) started by the test."""

import email
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.kit.clock import FrozenClock
from linedesk.messaging.channels.smtp import SmtpSender
from linedesk.messaging.models import Channel, OutboxStatus
from linedesk.messaging.repository import OutboxRepository
from linedesk.messaging.worker import OutboxWorker
from tests.conftest import NOW
from tests.messaging.conftest import advance, free_port, outbox, put

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[Inbox]:
    controller, inbox = start_smtp(smtp_port)
    yield inbox
    controller.stop()


def sender(port: int) -> SmtpSender:
    return SmtpSender(
        host="127.0.0.1",
        port=port,
        sender="linedesk <no-reply@linedesk.test>",
        security="none",
        timeout=5,
    )


async def test_an_email_arrives_with_its_attachment_intact(
    smtp: Inbox,
    smtp_port: int,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
    tmp_path: Path,
) -> None:
    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "2026-10.pdf").write_bytes(PDF)
    reference = {
        "kind": "file",
        "path": "invoices/2026-10.pdf",
        "filename": "fattura.pdf",
        "content_type": "application/pdf",
    }
    await put(sessionmaker, Channel.email, "giulia@example.it", attachments=[reference])
    await make_worker({Channel.email: sender(smtp_port)}).run_until_idle()

    [(recipients, message)] = smtp.received
    assert recipients == ["giulia@example.it"]
    assert message["Subject"] == "Messaggio di prova da linedesk"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Ciao Giulia" in body.get_content()
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<p>Ciao Giulia,</p>" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "fattura.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF
    [stored] = await outbox(sessionmaker)
    assert stored.status is OutboxStatus.sent and stored.sent_at is not None


async def test_a_server_that_is_down_gets_the_message_once_it_is_back(
    smtp_port: int,
    sessionmaker: async_sessionmaker[AsyncSession],
    moving_clock: FrozenClock,
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(sessionmaker, Channel.email, "giulia@example.it", language="en")
    worker = make_worker({Channel.email: sender(smtp_port)}, max_attempts=5)
    await worker.run_once()
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts) == (OutboxStatus.pending, 1)
    assert message.last_error and message.last_error.startswith("SMTPConnect")

    controller, inbox = start_smtp(smtp_port)
    try:
        advance(moving_clock, 60)
        await worker.run_until_idle()
    finally:
        controller.stop()
    [(_, received)] = inbox.received
    assert received["Subject"] == "Test message from linedesk"
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts) == (OutboxStatus.sent, 2)


async def test_a_server_down_for_good_fails_the_message_with_the_reason(
    smtp_port: int,
    sessionmaker: async_sessionmaker[AsyncSession],
    moving_clock: FrozenClock,
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(sessionmaker, Channel.email, "giulia@example.it")
    worker = make_worker({Channel.email: sender(smtp_port)}, max_attempts=3)
    for _ in range(3):
        await worker.run_once()
        advance(moving_clock, 3600)
    assert await worker.run_once() == 0
    [message] = await outbox(sessionmaker)
    assert (message.status, message.attempts) == (OutboxStatus.failed, 3)
    assert message.last_error and "SMTPConnect" in message.last_error


async def test_a_message_delivered_twice_keeps_its_message_id(
    smtp: Inbox,
    smtp_port: int,
    sessionmaker: async_sessionmaker[AsyncSession],
    moving_clock: FrozenClock,
    make_worker: Callable[..., OutboxWorker],
) -> None:
    first = await put(sessionmaker, Channel.email, "giulia@example.it")
    worker = make_worker({Channel.email: sender(smtp_port)})
    async with sessionmaker() as session, session.begin():
        [claimed] = await OutboxRepository(session).claim(NOW, 10, worker.lease)
    await worker._send(claimed)  # the server accepts it, then the worker dies before `sent`
    second = await put(sessionmaker, Channel.email, "marco@example.it")
    advance(moving_clock, worker.lease.total_seconds() + 1)
    assert await worker.run_until_idle() == 2

    received = Counter(
        (recipients[0], message["Message-ID"]) for recipients, message in smtp.received
    )
    [(giulia, twice), (marco, once)] = sorted(received.items())
    assert (giulia[0], twice, marco[0], once) == ("giulia@example.it", 2, "marco@example.it", 1)
    assert giulia[1].startswith(f"<outbox.{first}.") and giulia[1].endswith("@linedesk.test>")
    assert marco[1].startswith(f"<outbox.{second}.")
