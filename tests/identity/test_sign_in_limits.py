"""Sign-in limits that do not lock the owner out (issue 12 §4): only failures count; they are
kept per username and client address, per address, and for a username from everywhere only
as a slow-down that spares the addresses its owner signs in from. Through the API and the
sign-in page, whose limiter counts in Redis when LINEDESK_TEST_REDIS_URL is set."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD
from tests.identity.test_web_sessions import HTML, csrf_of

OWNER_ADDRESS = "198.51.100.7"
ATTACKER = "203.0.113.66"
WRONG = "Not-The-Password-1"
TOO_MANY = {"error": {"code": "rate_limited", "message": "Too many attempts: try again later"}}


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Room for every parallel sign-in to wait for its hash: none is turned away with 503.
    return settings.model_copy(update={"password_hash_queue": 32})


@pytest.fixture
async def owner(session) -> str:
    world = await make_world(session, lines=1)
    await make_user(session, world)
    return world["numbers"][0]


@asynccontextmanager
async def from_address(app, address: str) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def login(app, address: str, username: str, password: str = PASSWORD) -> httpx.Response:  # type: ignore[no-untyped-def]
    async with from_address(app, address) as client:
        return await client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )


async def login_page(
    app,
    address: str,
    username: str,  # type: ignore[no-untyped-def]
    password: str = PASSWORD,
) -> httpx.Response:
    async with from_address(app, address) as client:
        page = await client.get("/login", headers=HTML)
        return await client.post(
            "/login",
            headers=HTML,
            data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
        )


async def test_good_sign_ins_never_count(app, owner):
    for _ in range(11):
        assert (await login(app, OWNER_ADDRESS, owner)).status_code == 200


async def test_a_good_sign_in_gives_its_address_the_tries_back(app, owner):
    for _ in range(9):
        assert (await login(app, OWNER_ADDRESS, owner, WRONG)).status_code == 401
    assert (await login(app, OWNER_ADDRESS, owner)).status_code == 200
    for _ in range(2):  # the 10th and 11th failures from here, but the first two since
        assert (await login(app, OWNER_ADDRESS, owner, WRONG)).status_code == 401


async def test_an_attacker_elsewhere_cannot_lock_the_owner_out(app, owner):
    assert (await login(app, OWNER_ADDRESS, owner)).status_code == 200  # their usual place
    for _ in range(10):
        assert (await login(app, ATTACKER, owner, WRONG)).status_code == 401
    stopped = await login(app, ATTACKER, owner, WRONG)
    assert stopped.status_code == 429 and stopped.json() == TOO_MANY
    assert 0 < int(stopped.headers["Retry-After"]) <= 900
    # Even the right password does not get through from there now…
    assert (await login(app, ATTACKER, owner)).status_code == 429
    # …while the owner signs in at once, from where they usually do…
    assert (await login(app, OWNER_ADDRESS, owner)).status_code == 200
    # …and from a new place after a short wait, not a lock.
    slowed = await login(app, "192.0.2.10", owner)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) == 1
    await asyncio.sleep(1.05)
    assert (await login(app, "192.0.2.10", owner)).status_code == 200


async def test_failures_from_everywhere_slow_the_username_down_more_and_more(app, owner):
    assert (await login(app, OWNER_ADDRESS, owner)).status_code == 200
    for n in range(10):  # a botnet: one try from each address
        assert (await login(app, f"192.0.2.{100 + n}", owner, WRONG)).status_code == 401
    waits = []
    for n in range(2):
        slowed = await login(app, f"192.0.2.{200 + n}", owner, WRONG)
        assert slowed.status_code == 429 and slowed.json() == TOO_MANY
        waits.append(int(slowed.headers["Retry-After"]))
        assert (await login(app, OWNER_ADDRESS, owner)).status_code == 200  # never slowed
        await asyncio.sleep(waits[-1] + 0.05)
        assert (await login(app, f"192.0.2.{210 + n}", owner, WRONG)).status_code == 401
    assert waits == [1, 2]  # doubling after each further failure, up to a minute


async def test_the_sign_in_page_counts_with_the_api_under_the_same_rule(app, owner):
    assert (await login_page(app, OWNER_ADDRESS, owner)).headers["location"] == "/home"
    for _ in range(5):
        assert (await login(app, ATTACKER, owner, WRONG)).status_code == 401
        assert (await login_page(app, ATTACKER, owner, WRONG)).status_code == 401
    stopped = await login_page(app, ATTACKER, owner, WRONG)
    assert stopped.status_code == 429 and "Troppi tentativi" in stopped.text
    assert 0 < int(stopped.headers["Retry-After"]) <= 900
    assert (await login(app, ATTACKER, owner, WRONG)).status_code == 429
    again = await login_page(app, OWNER_ADDRESS, owner)
    assert again.status_code == 303 and again.headers["location"] == "/home"


async def test_tries_sent_at_once_from_one_place_do_not_pass_the_limit(app, owner):
    answers = await asyncio.gather(*(login(app, ATTACKER, owner, WRONG) for _ in range(20)))
    assert sorted(answer.status_code for answer in answers) == [401] * 10 + [429] * 10
    assert (await login(app, ATTACKER, owner, WRONG)).status_code == 429
