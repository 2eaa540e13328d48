"""A lost Redis (the rate limits' counts) fails closed: every rate-limited route answers 503
with Retry-After in the one error shape, /readyz says not ready naming redis, the rest of the
app keeps serving, and all comes back when Redis does. Against a real Redis of the test's own
that is stopped, frozen and started again."""

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from linedesk.app import create_app
from linedesk.messaging.models import OutboxMessage
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD
from tests.identity.test_web_sessions import HTML, csrf_of
from tests.ops.private_redis import PrivateRedis, private_redis  # noqa: F401

UNAVAILABLE = {
    "error": {
        "code": "unavailable",
        "message": "The service is briefly unavailable: try again in a moment",
    }
}


@pytest.fixture
async def redis_client(
    settings,
    clock,
    engine,
    private_redis: PrivateRedis,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"redis_url": private_redis.url}), clock=clock)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield http
    finally:
        await app.state.limiter.close()
        await app.state.engine.dispose()


@pytest.fixture
async def world(session):
    world = await make_world(session, lines=1)
    await make_user(session, world, email="giulia@example.it")
    return world


async def _login(client: httpx.AsyncClient, username: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )


async def _web_login(client: httpx.AsyncClient, username: str) -> httpx.Response:
    page = await client.get("/login", headers=HTML)
    return await client.post(
        "/login",
        headers=HTML,
        data={"csrf_token": csrf_of(page.text), "username": username, "password": PASSWORD},
    )


async def _outbox_size(session) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)))


def _is_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.json() == UNAVAILABLE


async def test_a_stopped_redis_gives_503_with_retry_after_and_not_ready_until_it_is_back(
    redis_client, private_redis, world, session
):
    number = world["numbers"][0]
    assert (await redis_client.get("/readyz")).json() == {"status": "ready"}
    signed_in = await _login(redis_client, number)
    assert signed_in.status_code == 200, signed_in.text
    token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert (await _web_login(redis_client, number)).status_code == 303
    redis_client.cookies.clear()
    outbox_before = await _outbox_size(session)

    private_redis.stop()

    _is_unavailable(await _login(redis_client, number))
    _is_unavailable(
        await redis_client.post("/api/v1/password-recoveries", json={"username": number})
    )
    _is_unavailable(await redis_client.post("/api/v1/registrations", json={"msisdn": number}))
    _is_unavailable(
        await redis_client.post(
            "/api/v1/manager-registrations",
            json={"vat_number": world["vat"], "billing_account_code": world["account"]},
        )
    )
    page = await _web_login(redis_client, number)
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Il servizio è momentaneamente non disponibile" in page.text
    assert await _outbox_size(session) == outbox_before  # no code sent for a refused request

    ready = await redis_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "not_ready"
    assert ready.json()["error"]["details"] == [{"component": "redis", "reason": "unreachable"}]
    # What no limit guards keeps serving: liveness, and a signed-in user's own data.
    assert (await redis_client.get("/healthz")).status_code == 200
    assert (await redis_client.get("/api/v1/me", headers=token)).status_code == 200

    private_redis.start()

    assert (await redis_client.get("/readyz")).json() == {"status": "ready"}
    assert (await _login(redis_client, number)).status_code == 200
    recovery = await redis_client.post("/api/v1/password-recoveries", json={"username": number})
    assert recovery.status_code == 202, recovery.text


async def test_a_redis_that_hangs_answers_503_within_seconds_not_a_hung_request(
    redis_client, private_redis, world
):
    number = world["numbers"][0]
    assert (await _login(redis_client, number)).status_code == 200
    private_redis.freeze()
    try:
        started = time.monotonic()
        _is_unavailable(await _login(redis_client, number))
        ready = await redis_client.get("/readyz")
        elapsed = time.monotonic() - started
    finally:
        private_redis.thaw()
    assert ready.status_code == 503
    assert ready.json()["error"]["details"][0]["component"] == "redis"
    assert elapsed < 10, elapsed  # bounded by the client's timeouts, not hung
    assert (await _login(redis_client, number)).status_code == 200
