"""Line actions against a real provisioning peer: an HTTP server on loopback, started by the
test, that checks our HMAC signature with its own code, records what it receives, can
answer 503 or refuse, and signs the callbacks it sends back."""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from linedesk.config import Settings
from linedesk.db import create_sessionmaker
from linedesk.identity.passwords import PasswordHasher
from linedesk.inventory.schemas import OfferCreate
from linedesk.inventory.service import RESOURCES, create_one
from linedesk.lineactions.provisioning import HttpTransport, ProvisioningWorker
from tests.conftest import NOW, TEST_SECRET
from tests.factories import CTX, make_user, make_world, offer_data
from tests.identity.helpers import PASSWORD, bearer

PEER_SECRET = "peer-shared-secret-0123456789abcdef-tests"


def peer_sign(timestamp: int, body: bytes) -> str:
    """The peer's own HMAC code (not linedesk's), as the operator's system would have it."""
    mac = hmac.new(PEER_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    signature_ok: bool
    at: float


@dataclass
class Peer:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer 503 this many times
    refuse: set[str] = field(default_factory=set)  # kinds answered 422
    now: float = NOW.timestamp()

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        timestamp = request.headers.get("X-Linedesk-Timestamp", "0")
        ok = (
            hmac.compare_digest(
                peer_sign(int(timestamp), raw), request.headers.get("X-Linedesk-Signature", "")
            )
            and abs(self.now - int(timestamp)) < 300
        )
        body = json.loads(raw)
        self.received.append(Received(body, dict(request.headers), ok, time.monotonic()))
        if not ok:
            return web.json_response({"error": "bad signature"}, status=401)
        if self.fail_next:
            self.fail_next -= 1
            return web.json_response({"error": "busy"}, status=503)
        if body["kind"] in self.refuse:
            return web.json_response({"error": "not allowed on this line"}, status=422)
        return web.json_response({"accepted": body["request_id"]}, status=202)

    def of_kind(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.body["kind"] == kind]

    def callback(
        self,
        sent: dict[str, Any],
        status: str = "done",
        result: dict[str, Any] | None = None,
        reason: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(
            {
                "request_id": sent["request_id"],
                "idempotency_key": sent["idempotency_key"],
                "status": status,
                "reason": reason,
                "result": result or {},
            }
        ).encode()
        ts = int(self.now) if timestamp is None else timestamp
        headers = {
            "X-Linedesk-Timestamp": str(ts),
            "X-Linedesk-Signature": peer_sign(ts, body),
            "Content-Type": "application/json",
        }
        return body, headers


@pytest.fixture
async def peer():  # type: ignore[no-untyped-def]
    state = Peer()
    app = web.Application()
    app.router.add_post("/provisioning/requests", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}/provisioning/requests"
    yield state
    await runner.cleanup()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, peer: Peer) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_level="WARNING",
        demo_live_usage=False,
        provisioning_url=peer.url,
        provisioning_hmac_secret=PEER_SECRET,
        provisioning_backoff_seconds=0,
        provisioning_timeout_seconds=5,
    )


@pytest.fixture
def deliver(engine, settings, clock):  # type: ignore[no-untyped-def]
    """Run the provisioning worker until nothing is due (as its loop would)."""

    async def run() -> int:
        worker = ProvisioningWorker.from_settings(
            settings,
            create_sessionmaker(engine),
            clock,
            HttpTransport(settings.provisioning_url, settings.provisioning_timeout_seconds),
        )
        try:
            return await worker.run_once()
        finally:
            await worker.close()

    return run


@pytest.fixture
def report(client: httpx.AsyncClient, peer: Peer):  # type: ignore[no-untyped-def]
    """The peer reports a request's result to the signed callback."""

    async def send(sent: Received, status: str = "done", **kw: Any) -> httpx.Response:
        body, headers = peer.callback(sent.body, status, **kw)
        return await client.post(
            "/api/v1/backoffice/provisioning/callback", content=body, headers=headers
        )

    return send


_hash: list[str] = []


async def password_hash() -> str:
    """One argon2 hash of PASSWORD for every user of these tests (the hashing is slow)."""
    if not _hash:
        hasher = PasswordHasher(1)
        try:
            _hash.append(await hasher.hash(PASSWORD))
        finally:
            hasher.close()
    return _hash[0]


async def add_user(session, world, **kw: Any) -> int:  # type: ignore[no-untyped-def]
    return await make_user(session, world, password_hash=await password_hash(), **kw)


@pytest.fixture
async def company(session):  # type: ignore[no-untyped-def]
    """A company with 4 lines: an employee on the first, a colleague on the second, a user
    admin and a telco manager."""
    world = await make_world(session, lines=4)
    other = OfferCreate(**offer_data(name="Business Pro", monthly_fee="24.99"))
    await create_one(session, RESOURCES["offers"], other, CTX)
    await session.commit()
    world["other_offer"] = other.code
    await add_user(session, world, email="giulia@example.it")
    await add_user(session, world, username=world["numbers"][1])
    await add_user(session, world, profile="user_admin", username="anna", email="anna@example.it")
    await add_user(session, world, profile="telco_manager", username="marco")
    return world


@pytest.fixture
async def as_employee(client, company):  # type: ignore[no-untyped-def]
    return await bearer(client, company["numbers"][0], PASSWORD)


@pytest.fixture
async def as_manager(client, company):  # type: ignore[no-untyped-def]
    return await bearer(client, "anna", PASSWORD)
