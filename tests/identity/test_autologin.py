"""Autologin (R-A2): only the gateway's ranges are trusted, always as employee."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from linedesk.app import create_app
from linedesk.identity.models import User
from linedesk.kit.network import sign_msisdn
from tests.factories import make_user, make_world

GATEWAY = "10.64.0.0/10"
INSIDE = "10.64.12.34"
KEY = "gateway-shared-key-for-tests-0123456789"


def _client(app, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


@pytest.fixture
async def network_app(engine, settings, clock):
    configured = settings.model_copy(update={"autologin_gateway_ranges": [GATEWAY]})
    app = create_app(configured, clock=clock)
    yield app
    await app.state.engine.dispose()


@pytest.fixture
async def world(session):
    return await make_world(session, lines=2)


async def _autologin(app, peer, headers):
    async with _client(app, peer) as client:
        return await client.post("/api/v1/auth/autologin", headers=headers)


async def test_by_default_nobody_is_trusted_not_even_loopback(client, world):
    response = await client.post(
        "/api/v1/auth/autologin", headers={"X-MSISDN": world["numbers"][0]}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "autologin_unavailable"
    assert "Wi-Fi" in response.json()["error"]["message"]


async def test_from_inside_the_gateway_range_an_employee_is_signed_in(network_app, world, mailbox):
    number = world["numbers"][0]
    response = await _autologin(network_app, INSIDE, {"X-MSISDN": number})
    assert response.status_code == 200, response.text
    assert response.json()["profile"] == "employee"
    (first,) = await mailbox(number)
    assert "primo accesso automatico" in first["text"]
    await _autologin(network_app, INSIDE, {"X-MSISDN": number})
    assert len(await mailbox(number)) == 1  # the notice comes only the first time


async def test_outside_the_range_the_header_is_ignored(network_app, world):
    assert (
        await _autologin(network_app, "192.0.2.7", {"X-MSISDN": world["numbers"][0]})
    ).status_code == 401


async def test_a_forged_forwarded_for_does_not_change_the_client(network_app, world):
    response = await _autologin(
        network_app, "192.0.2.7", {"X-MSISDN": world["numbers"][0], "X-Forwarded-For": INSIDE}
    )
    assert response.status_code == 401


async def test_a_user_admin_with_a_line_still_gets_the_employee_profile(
    network_app, world, session
):
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    await make_user(session, world)  # Laura's own line, as employee
    response = await _autologin(network_app, INSIDE, {"X-MSISDN": world["numbers"][0]})
    assert response.json()["profile"] == "employee"
    me = await _me(network_app, response.json()["access_token"])
    assert me["username"] == world["numbers"][0]


async def _me(app, token):
    async with _client(app, INSIDE) as client:
        return (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()


async def test_with_a_key_only_a_fresh_valid_signature_is_trusted(
    engine, settings, clock, world, session
):
    configured = settings.model_copy(
        update={"autologin_gateway_ranges": [GATEWAY], "autologin_hmac_key": KEY}
    )
    app = create_app(configured, clock=clock)
    number = world["numbers"][0]
    stamp = int(clock.now().timestamp())
    try:
        good = {"X-MSISDN": number, "X-MSISDN-Signature": sign_msisdn(KEY, number, stamp)}
        assert (await _autologin(app, INSIDE, good)).status_code == 200
        unsigned = {"X-MSISDN": number}
        assert (await _autologin(app, INSIDE, unsigned)).status_code == 401
        wrong_key = {
            "X-MSISDN": number,
            "X-MSISDN-Signature": sign_msisdn("another-key-xxxxxxxxxxxx", number, stamp),
        }
        assert (await _autologin(app, INSIDE, wrong_key)).status_code == 401
        old = int((clock.now() - timedelta(minutes=5)).timestamp())
        expired = {"X-MSISDN": number, "X-MSISDN-Signature": sign_msisdn(KEY, number, old)}
        assert (await _autologin(app, INSIDE, expired)).status_code == 401
    finally:
        await app.state.engine.dispose()
    users = (await session.scalars(select(User))).all()
    assert [u.username for u in users] == [number]


async def test_the_development_simulator_is_its_own_path(client, world):
    response = await client.post("/api/v1/dev/autologin", json={"msisdn": world["numbers"][1]})
    assert response.status_code == 200
    assert response.json()["profile"] == "employee"


async def test_off_the_mobile_network_the_sign_in_page_does_not_try_autologin(client, world):
    """Trying would only be refused: the page says so at once, and the browser's console gets
    no 401 on every load."""
    page = await client.get("/login", headers={"Accept": "text/html"})
    assert "autologin.js" not in page.text
    assert 'class="autologin-unavailable">' in page.text  # shown, not hidden
    assert 'class="autologin-trying" hidden>' in page.text
    answer = await client.post("/login/autologin")
    assert answer.status_code == 200
    assert answer.json() == {"signed_in": False, "code": "autologin_unavailable"}


async def test_on_the_mobile_network_the_sign_in_page_tries_autologin(network_app, world):
    async with _client(network_app, INSIDE) as inside:
        page = await inside.get("/login", headers={"X-MSISDN": world["numbers"][0]})
        assert "autologin.js" in page.text
        assert 'class="autologin-unavailable" hidden>' in page.text
        answer = await inside.post("/login/autologin", headers={"X-MSISDN": world["numbers"][0]})
        assert answer.json() == {"signed_in": True, "redirect": "/home"}


async def _simulate(client, msisdn):
    from tests.identity.test_web_sessions import HTML, csrf_of

    page = await client.get("/login", headers=HTML)
    return await client.post(
        "/dev/autologin", headers=HTML, data={"csrf_token": csrf_of(page.text), "msisdn": msisdn}
    )


async def test_the_simulator_explains_bad_input_once_beside_its_field(client, world):
    refused = await _simulate(client, "+39 051 6480111")  # a fixed number
    assert refused.status_code == 422
    assert refused.text.count("Non è un numero di cellulare italiano") == 1
    assert "is not a mobile number" not in refused.text
    assert 'value="+39 051 6480111" aria-invalid="true" aria-describedby="sim-msisdn-error"' in (
        refused.text
    )
    assert '<p id="sim-msisdn-error" class="field-error">' in refused.text
    assert 'role="alert" id="form-error"' not in refused.text  # not in the password form's box
    unknown = await _simulate(client, "+39 347 000 9999")
    assert unknown.text.count("Nessuna linea mobile attiva di un cliente business") == 1
    assert 'value="+39 347 000 9999"' in unknown.text
