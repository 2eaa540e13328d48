"""Two-factor sign-in's rules (R-A11, issue 12 §2): a TOTP code is accepted once, turning it
on or off is limited like sign-in, and turning it on ends the user's other sessions."""

from datetime import timedelta

from sqlalchemy import update

from linedesk.identity.models import User
from linedesk.identity.totp import current_code, new_secret
from tests.conftest import NOW
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD, at_once, bearer, error_codes


async def _manager(session, username: str, *, totp: bool) -> str | None:
    world = await make_world(session, name=f"Azienda {username} S.r.l.", lines=0)
    await make_user(
        session, world, profile="user_admin", username=username, email=f"{username}@example.it"
    )
    if not totp:
        return None
    secret = new_secret()
    await session.execute(
        update(User).where(User.username == username).values(totp_secret=secret, totp_enabled=True)
    )
    await session.commit()
    return secret


def _login(client, username: str, code: str | None):
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD, "totp_code": code}
    )


def _wrong(code: str, i: int = 0) -> str:
    return f"{(int(code) + 1 + i) % 1_000_000:06d}"


async def test_a_totp_code_signs_in_once(client, session, clock):
    secret = await _manager(session, "laura", totp=True)
    assert secret is not None
    code = current_code(secret, NOW)
    assert (await _login(client, "laura", code)).status_code == 200
    replay = await _login(client, "laura", code)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "totp_invalid"
    # The next step's code is a new code.
    clock.at = NOW + timedelta(seconds=30)
    assert (await _login(client, "laura", current_code(secret, clock.now()))).status_code == 200


async def test_one_totp_code_sent_with_20_sign_ins_at_once_signs_in_once(client, session):
    secret = await _manager(session, "laura", totp=True)
    assert secret is not None
    code = current_code(secret, NOW)

    answers = await at_once(20, lambda _: _login(client, "laura", code))

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 401, 429, 503}
    assert error_codes(answers) <= {"totp_invalid", "rate_limited", "busy"}


async def test_turning_two_factor_on_ends_the_other_sessions(client, session):
    await _manager(session, "laura", totp=False)
    here = await bearer(client, "laura")
    elsewhere = await bearer(client, "laura")
    secret = (await client.post("/api/v1/me/two-factor", headers=here)).json()["secret"]
    enabled = await client.post(
        "/api/v1/me/two-factor/enable", headers=here, json={"code": current_code(secret, NOW)}
    )
    assert enabled.status_code == 204, enabled.text
    assert (await client.get("/api/v1/me", headers=elsewhere)).status_code == 401
    me = await client.get("/api/v1/me", headers=here)
    assert me.status_code == 200 and me.json()["totp_enabled"] is True


async def test_the_code_that_turned_two_factor_on_does_not_also_sign_in(client, session):
    await _manager(session, "laura", totp=False)
    auth = await bearer(client, "laura")
    secret = (await client.post("/api/v1/me/two-factor", headers=auth)).json()["secret"]
    code = current_code(secret, NOW)
    assert (
        await client.post("/api/v1/me/two-factor/enable", headers=auth, json={"code": code})
    ).status_code == 204
    assert (await _login(client, "laura", code)).status_code == 401


async def test_codes_to_turn_two_factor_on_are_limited_like_sign_in(client, session):
    await _manager(session, "laura", totp=False)
    auth = await bearer(client, "laura")
    secret = (await client.post("/api/v1/me/two-factor", headers=auth)).json()["secret"]
    code = current_code(secret, NOW)
    path = "/api/v1/me/two-factor/enable"
    for i in range(5):
        wrong = await client.post(path, headers=auth, json={"code": _wrong(code, i)})
        assert wrong.status_code == 422, wrong.text
    refused = await client.post(path, headers=auth, json={"code": code})
    assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
    me = await client.get("/api/v1/me", headers=auth)
    assert me.json()["totp_enabled"] is False


async def test_codes_to_turn_two_factor_off_are_limited_like_sign_in(client, session):
    secret = await _manager(session, "laura", totp=True)
    assert secret is not None
    code = current_code(secret, NOW)
    auth = await bearer(client, "laura", totp_code=code)
    later = current_code(secret, NOW + timedelta(seconds=30))

    answers = await at_once(
        20,
        lambda i: client.post(
            "/api/v1/me/two-factor/disable", headers=auth, json={"code": _wrong(later, i)}
        ),
    )

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(429) >= 15, statuses
    assert set(statuses) <= {422, 429}
    refused = await client.post("/api/v1/me/two-factor/disable", headers=auth, json={"code": later})
    assert refused.status_code == 429
    me = await client.get("/api/v1/me", headers=auth)
    assert me.json()["totp_enabled"] is True
