"""Password recovery (R-A6): same answer for everyone, a generated one-time password,
every session ended, no code by SMS after a recent SIM swap."""

import re
from datetime import timedelta

import pytest

from tests.conftest import NOW
from tests.factories import iccid, make_user, make_world
from tests.registration.test_api import code_in

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
async def employee(session):
    world = await make_world(session, lines=2)
    await make_user(session, world)
    return world


async def _login(client, username, password):
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def test_an_unknown_username_gets_the_same_202(client, employee, mailbox):
    known = await client.post(
        "/api/v1/password-recoveries", json={"username": employee["numbers"][0]}
    )
    unknown = await client.post("/api/v1/password-recoveries", json={"username": "+393470000123"})
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == set(unknown.json())
    assert known.json()["channel"] == unknown.json()["channel"] == "sms"
    assert await mailbox("+393470000123") == []


async def test_recovery_generates_a_one_time_password_and_ends_every_session(
    client, employee, mailbox
):
    number = employee["numbers"][0]
    before = (await _login(client, number, PASSWORD)).json()
    started = (await client.post("/api/v1/password-recoveries", json={"username": number})).json()
    # Until the code is entered the old password keeps working.
    assert (await _login(client, number, PASSWORD)).status_code == 200
    (sms,) = await mailbox(number)
    done = await client.post(
        f"/api/v1/password-recoveries/{started['recovery_id']}/complete",
        json={"code": code_in(sms)},
    )
    assert done.status_code == 200, done.text
    generated = done.json()["new_password"]
    assert len(generated) >= 16

    assert (await _login(client, number, PASSWORD)).status_code == 401
    assert (
        await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {before['access_token']}"}
        )
    ).status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": before["refresh_token"]})
    ).status_code == 401

    notices = await mailbox(number)
    assert "reimpostata" in notices[0]["text"]
    assert generated not in notices[0]["text"]

    first = await _login(client, number, generated)
    assert first.status_code == 200 and first.json()["must_change_password"] is True
    auth = {"Authorization": f"Bearer {first.json()['access_token']}"}
    # Nothing else is allowed until the password is changed…
    blocked = await client.put("/api/v1/me/active-line", headers=auth, json={"msisdn": number})
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "password_change_required"
    # …and the generated password works only once.
    assert (await _login(client, number, generated)).status_code == 401
    me = await client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    changed = await client.put(
        "/api/v1/me/password", headers=auth, json={"new_password": "Il-mio-nuovo-segreto-77"}
    )
    assert changed.status_code == 204, changed.text
    assert (await _login(client, number, "Il-mio-nuovo-segreto-77")).status_code == 200


async def test_a_registration_code_does_not_work_for_recovery(client, employee, mailbox):
    number = employee["numbers"][1]  # not yet registered
    await client.post("/api/v1/registrations", json={"msisdn": number})
    (registration_sms,) = await mailbox(number)
    recovery = (await client.post("/api/v1/password-recoveries", json={"username": number})).json()
    response = await client.post(
        f"/api/v1/password-recoveries/{recovery['recovery_id']}/complete",
        json={"code": code_in(registration_sms)},
    )
    assert response.status_code == 422


async def test_sms_recovery_is_refused_for_72_hours_after_a_sim_swap(
    client, backoffice, employee, clock, mailbox
):
    number = employee["numbers"][0]
    swap = await backoffice.post(
        f"/api/v1/backoffice/lines/{number}/sim-swap", json={"iccid": iccid(), "puk": "12121212"}
    )
    assert swap.status_code == 200
    clock.at = NOW + timedelta(hours=71)
    try:
        refused = await client.post("/api/v1/password-recoveries", json={"username": number})
        # The answer of every recovery: nothing tells a stranger that this line was swapped.
        assert refused.status_code == 202 and refused.json()["channel"] == "sms"
        # No code by SMS; without an e-mail on file the line is told why (no code in it).
        (notice,) = await mailbox(number)
        assert "sostituita meno di 72 ore fa" in notice["text"]
        assert not re.search(r"\d{6}", notice["text"])
        for guess in ("000000", "123456"):
            assert (
                await client.post(
                    f"/api/v1/password-recoveries/{refused.json()['recovery_id']}/complete",
                    json={"code": guess},
                )
            ).status_code == 422
        clock.at = NOW + timedelta(hours=73)
        assert (
            await client.post("/api/v1/password-recoveries", json={"username": number})
        ).status_code == 202
        assert "il codice per recuperare la password è" in (await mailbox(number))[0]["text"]
    finally:
        clock.at = NOW


async def test_a_manager_recovers_by_email(client, session, mailbox):
    world = await make_world(session, lines=0)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    started = await client.post("/api/v1/password-recoveries", json={"username": "Laura"})
    assert started.json()["channel"] == "email"
    (email,) = await mailbox("laura@example.it")
    assert email["subject"] == "Il tuo codice per recuperare la password linedesk"
