"""Two-factor sign-in for managers (R-A11)."""

from datetime import timedelta

from linedesk.identity.totp import current_code
from tests.conftest import NOW
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD, bearer


async def test_a_manager_enables_totp_and_then_sign_in_asks_for_the_code(client, session, clock):
    world = await make_world(session, lines=1)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    auth = await bearer(client, "laura")
    setup = await client.post("/api/v1/me/two-factor", headers=auth)
    assert setup.status_code == 200
    body = setup.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/linedesk:laura")
    assert "<svg" in body["qr_svg"]
    wrong = await client.post(
        "/api/v1/me/two-factor/enable",
        headers=auth,
        json={"code": "000000" if current_code(body["secret"], NOW) != "000000" else "111111"},
    )
    assert wrong.status_code == 422
    enabled = await client.post(
        "/api/v1/me/two-factor/enable",
        headers=auth,
        json={"code": current_code(body["secret"], NOW)},
    )
    assert enabled.status_code == 204

    login = {"username": "laura", "password": PASSWORD}
    asked = await client.post("/api/v1/auth/login", json=login)
    assert asked.status_code == 401 and asked.json()["error"]["code"] == "totp_required"
    clock.at = NOW + timedelta(minutes=5)
    stale = await client.post(
        "/api/v1/auth/login", json=login | {"totp_code": current_code(body["secret"], NOW)}
    )
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "totp_invalid"
    fresh = await client.post(
        "/api/v1/auth/login", json=login | {"totp_code": current_code(body["secret"], clock.now())}
    )
    clock.at = NOW
    assert fresh.status_code == 200


async def test_employees_have_no_two_factor_setup(client, session):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    auth = await bearer(client, world["numbers"][0])
    assert (await client.post("/api/v1/me/two-factor", headers=auth)).status_code == 403
