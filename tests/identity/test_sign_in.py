"""Password sign-in, tokens, refresh rotation, logout, /me, change of password."""

import statistics
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from linedesk.audit.models import AuditEvent
from tests.conftest import NOW
from tests.factories import make_user, make_world

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
async def employee(session):
    world = await make_world(session, lines=3)
    await make_user(session, world)
    return world


async def _login(client, username, password=PASSWORD):
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def test_an_employee_signs_in_with_the_number_in_any_form(client, employee):
    number = employee["numbers"][0]  # +39347…
    response = await _login(client, number[3:])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile"] == "employee" and body["token_type"] == "bearer"
    assert body["must_change_password"] is False and body["expires_in"] == 900
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == number
    assert me.json()["lines"] == [{"msisdn": number, "kind": "mobile", "main": True}]
    assert me.json()["active_line"] == number


async def test_wrong_password_and_unknown_user_get_the_same_answer_after_the_same_work(
    client, employee
):
    cases = {"wrong password": employee["numbers"][0], "unknown user": "+393470000001"}
    timings: dict[str, list[float]] = {case: [] for case in cases}
    answers = {}
    for _ in range(4):  # alternate, and compare medians, so one slow moment cannot decide
        for case, username in cases.items():
            started = time.perf_counter()
            response = await _login(client, username, "Not-The-Password-1")
            timings[case].append(time.perf_counter() - started)
            answers[case] = (response.status_code, response.json())
    assert (
        answers["wrong password"]
        == answers["unknown user"]
        == (
            401,
            {"error": {"code": "invalid_credentials", "message": "Wrong username or password"}},
        )
    )
    # Both verify one argon2id hash: medians within a factor of 2 of each other.
    ratio = statistics.median(timings["wrong password"]) / statistics.median(
        timings["unknown user"]
    )
    assert 0.5 < ratio < 2, timings


async def test_failed_sign_ins_are_audited_without_the_password(client, employee, session):
    await _login(client, employee["numbers"][0], "Not-The-Password-1")
    events = (await session.scalars(select(AuditEvent))).all()
    assert [e.action for e in events] == ["sign_in_failed"]
    assert "Not-The-Password-1" not in str(events[0].detail)


async def test_refresh_tokens_rotate_and_reuse_revokes_the_family(client, employee):
    tokens = (await _login(client, employee["numbers"][0])).json()
    first = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert (
        await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
        )
    ).status_code == 200

    reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert reuse.status_code == 401
    # The whole family is gone: the newest tokens stop working too.
    assert (
        await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
        )
    ).status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    ).status_code == 401


async def test_the_old_access_token_stops_working_after_a_refresh(client, employee):
    tokens = (await _login(client, employee["numbers"][0])).json()
    await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    old = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert old.status_code == 401


async def test_logout_ends_the_session_on_the_server(client, employee):
    tokens = (await _login(client, employee["numbers"][0])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/api/v1/auth/logout", headers=auth)).status_code == 204
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401


async def test_access_tokens_expire_and_sessions_have_idle_and_absolute_limits(
    client, employee, clock
):
    tokens = (await _login(client, employee["numbers"][0])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    clock.at = NOW + timedelta(minutes=16)
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    clock.at = NOW + timedelta(minutes=16, days=31)  # idle longer than 30 days
    assert (
        await client.post(
            "/api/v1/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
        )
    ).status_code == 401
    clock.at = NOW


async def test_a_password_change_ends_every_other_session(client, employee):
    number = employee["numbers"][0]
    phone = (await _login(client, number)).json()
    laptop = (await _login(client, number)).json()
    auth = {"Authorization": f"Bearer {laptop['access_token']}"}
    wrong = await client.put(
        "/api/v1/me/password",
        headers=auth,
        json={"current_password": "not-it-at-all-1", "new_password": "A-brand-new-secret-42"},
    )
    assert wrong.status_code == 422
    changed = await client.put(
        "/api/v1/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "new_password": "A-brand-new-secret-42"},
    )
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 200
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {phone['access_token']}"})
    ).status_code == 401
    assert (await _login(client, number)).status_code == 401
    assert (await _login(client, number, "A-brand-new-secret-42")).status_code == 200


async def test_a_weak_new_password_is_refused(client, employee):
    tokens = (await _login(client, employee["numbers"][0])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    for weak in ("short-pw-1", "password1234", "x" * 129):
        response = await client.put(
            "/api/v1/me/password",
            headers=auth,
            json={"current_password": PASSWORD, "new_password": weak},
        )
        assert response.status_code == 422, weak
        assert response.json()["error"]["code"] == "weak_password"


async def test_sign_in_failures_are_rate_limited_per_username_and_address(client, employee):
    for _ in range(10):
        await _login(client, employee["numbers"][1], "Not-The-Password-1")
    limited = await _login(client, employee["numbers"][1], "Not-The-Password-1")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["error"]["code"] == "rate_limited"


async def test_without_a_token_me_is_401(client):
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
