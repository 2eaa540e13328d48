"""Sharing by e-mail end to end: the API queues it, the worker renders the PDF when it sends,
and a real SMTP server (aiosmtpd) receives the same bytes as the /pdf download."""

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from linedesk.db import create_sessionmaker
from linedesk.messaging.models import Channel, OutboxMessage, OutboxStatus
from linedesk.messaging.worker import OutboxWorker
from tests.identity.helpers import bearer
from tests.invoices.conftest import ADMIN, OCTOBER, invoice_of
from tests.messaging.conftest import free_port
from tests.messaging.test_smtp import Inbox, sender, start_smtp


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    port = free_port()
    controller, inbox = start_smtp(port)
    yield inbox, port
    controller.stop()


@pytest.mark.usefixtures("cli_env")  # the worker's configuration: the test database
async def test_the_shared_pdf_reaches_the_mail_server_intact(
    client, session, engine: AsyncEngine, clock, tmp_path, smtp, invoice_world
) -> None:
    inbox, port = smtp
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    headers = await bearer(client, ADMIN)
    shared = await client.post(
        f"/api/v1/invoices/{invoice.id}/share",
        headers=headers,
        json={"email": "commercialista@example.it"},
    )
    assert shared.status_code == 202, shared.text

    worker = OutboxWorker(
        create_sessionmaker(engine), {Channel.email: sender(port)}, clock, data_dir=tmp_path
    )
    try:
        assert await worker.run_until_idle() == 1
    finally:
        await worker.close()

    [(recipients, message)] = inbox.received
    assert recipients == ["commercialista@example.it"]
    assert message["Subject"] == f"Fattura {invoice.number} di Rossi Impianti S.r.l."
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "laura di Rossi Impianti S.r.l." in body.get_content()
    assert "ottobre 2026" in body.get_content()
    [attachment] = list(message.iter_attachments())
    download = await client.get(f"/api/v1/invoices/{invoice.id}/pdf", headers=headers)
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"fattura-{invoice.number.replace('/', '-')}.pdf"
    assert attachment.get_content() == download.content
    stored = await session.get(OutboxMessage, shared.json()["message_id"], populate_existing=True)
    assert stored is not None and stored.status is OutboxStatus.sent
