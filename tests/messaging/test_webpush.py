"""Web Push to a local push service that decrypts the payload (RFC 8291, http_ece)."""

import base64
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import http_ece
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.messaging.channels.webpush import WebPushSender, generate_vapid_keys
from linedesk.messaging.models import Channel, OutboxStatus
from linedesk.messaging.worker import OutboxWorker
from tests.messaging.conftest import free_port, outbox, put


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """A browser's push service: keeps what it receives, decrypted with the browser's keys."""

    def __init__(self) -> None:
        self.browser_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        self.received: list[dict[str, Any]] = []

    def subscription(self, port: int) -> str:
        public = self.browser_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return json.dumps(
            {
                "endpoint": f"http://127.0.0.1:{port}/push/abc",
                "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)},
            }
        )

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        plain = http_ece.decrypt(
            body, private_key=self.browser_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        self.received.append({"headers": dict(request.headers), "payload": json.loads(plain)})
        return web.Response(status=201)


@pytest.fixture
async def push_service() -> AsyncIterator[tuple[PushService, int]]:
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{id}", service.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield service, port
    await runner.cleanup()


async def test_a_push_arrives_decryptable_and_signed_with_vapid(
    push_service: tuple[PushService, int],
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    service, port = push_service
    private_key, public_key = generate_vapid_keys()
    await put(sessionmaker, Channel.push, service.subscription(port), language="en")
    sender = WebPushSender(private_key=private_key, subject="mailto:ops@linedesk.test")
    await make_worker({Channel.push: sender}).run_until_idle()

    [received] = service.received
    assert received["payload"] == {
        "title": "Test message from linedesk",
        "body": "linedesk: test message for Giulia. Nota di prova.",
    }
    authorization = received["headers"]["Authorization"]
    assert authorization.startswith("vapid t=") and f"k={public_key}" in authorization
    assert Vapid.verify(authorization)
    [message] = await outbox(sessionmaker)
    assert message.status is OutboxStatus.sent


async def test_a_push_service_refusal_is_retried(
    push_service: tuple[PushService, int],
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    service, port = push_service
    private_key, _ = generate_vapid_keys()
    subscription = json.loads(service.subscription(port))
    subscription["endpoint"] = f"http://127.0.0.1:{port}/gone"
    await put(sessionmaker, Channel.push, json.dumps(subscription))
    sender = WebPushSender(private_key=private_key, subject="mailto:ops@linedesk.test")
    await make_worker({Channel.push: sender}).run_once()
    [message] = await outbox(sessionmaker)
    assert message.status is OutboxStatus.pending
    assert message.last_error and message.last_error.startswith("WebPushException")
