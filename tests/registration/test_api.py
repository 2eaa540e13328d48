"""Employee registration by SMS code, the data-only path with PUK and e-mail, codes' rules."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from linedesk.identity.models import OneTimeCode
from linedesk.messaging.models import OutboxMessage
from tests.conftest import NOW
from tests.factories import make_user, make_world

PASSWORD = "Una-password-lunga-42"


def code_in(message: dict) -> str:
    match = re.search(r"\b(\d{6})\b", message["text"])
    assert match, message["text"]
    return match.group(1)


@pytest.fixture
async def world(session):
    return await make_world(session, lines=3)


async def _start(client, msisdn, **extra):
    return await client.post("/api/v1/registrations", json={"msisdn": msisdn, **extra})


async def test_register_by_sms_code_then_sign_in(client, world, mailbox):
    number = world["numbers"][0]
    started = await _start(client, number[3:])
    assert started.status_code == 202, started.text
    ticket = started.json()
    assert ticket["channel"] == "sms"
    assert ticket["expires_at"].startswith("2026-11-20T09:40")
    (sms,) = await mailbox(number)
    assert "codice di registrazione" in sms["text"]
    done = await client.post(
        f"/api/v1/registrations/{ticket['registration_id']}/complete",
        json={"code": code_in(sms), "password": PASSWORD},
    )
    assert done.status_code == 201, done.text
    assert done.json()["profile"] == "employee"
    login = await client.post("/api/v1/auth/login", json={"username": number, "password": PASSWORD})
    assert login.status_code == 200


async def test_codes_are_stored_hashed(client, world, mailbox, session):
    number = world["numbers"][0]
    await _start(client, number)
    (sms,) = await mailbox(number)
    stored = (await session.scalars(select(OneTimeCode))).one()
    assert code_in(sms) not in stored.code_digest and len(stored.code_digest) == 64
    delivered = (await session.scalars(select(OutboxMessage))).one()
    assert delivered.payload == {}  # once sent, the outbox keeps no code


async def test_an_already_registered_number_gets_the_same_answer_and_a_different_sms(
    client, world, mailbox, session
):
    registered, fresh = world["numbers"][0], world["numbers"][1]
    await make_user(session, world, username=registered)
    answers = [await _start(client, n) for n in (registered, fresh)]
    assert [a.status_code for a in answers] == [202, 202]
    assert set(answers[0].json()) == set(answers[1].json())
    assert answers[0].json()["channel"] == answers[1].json()["channel"] == "sms"
    (sms,) = await mailbox(registered)
    assert "già registrato" in sms["text"] and "Recupera password" in sms["text"]
    assert not re.search(r"\d{6}", sms["text"])


async def test_an_unknown_number_gets_the_same_answer_and_nothing_is_sent(client, mailbox):
    response = await _start(client, "+393470009999")
    assert response.status_code == 202
    assert await mailbox("+393470009999") == []


async def test_the_code_expires_after_ten_minutes(client, world, mailbox, clock):
    number = world["numbers"][0]
    ticket = (await _start(client, number)).json()
    (sms,) = await mailbox(number)
    clock.at = NOW + timedelta(minutes=10, seconds=1)
    late = await client.post(
        f"/api/v1/registrations/{ticket['registration_id']}/complete",
        json={"code": code_in(sms), "password": PASSWORD},
    )
    clock.at = NOW
    assert late.status_code == 422
    assert late.json()["error"]["code"] == "invalid_code"


async def test_the_sixth_try_finds_the_code_dead_even_after_a_resend(client, world, mailbox, clock):
    number = world["numbers"][0]
    ticket = (await _start(client, number)).json()
    path = f"/api/v1/registrations/{ticket['registration_id']}"
    for _ in range(3):
        assert (
            await client.post(f"{path}/complete", json={"code": "000000", "password": PASSWORD})
        ).status_code == 422
    clock.at = NOW + timedelta(seconds=31)
    assert (await client.post(f"{path}/resend")).status_code == 202
    newest = (await mailbox(number))[0]
    for _ in range(2):  # tries 4 and 5: the count was not reset by the resend
        assert (
            await client.post(
                f"{path}/complete",
                json={
                    "code": "000000" if code_in(newest) != "000000" else "111111",
                    "password": PASSWORD,
                },
            )
        ).status_code == 422
    sixth = await client.post(
        f"{path}/complete", json={"code": code_in(newest), "password": PASSWORD}
    )
    clock.at = NOW
    assert sixth.status_code == 422


async def test_a_code_is_single_use_and_bound_to_its_number(client, world, mailbox, session):
    first, second = world["numbers"][0], world["numbers"][1]
    ticket_a = (await _start(client, first)).json()
    ticket_b = (await _start(client, second)).json()
    (sms_a,) = await mailbox(first)
    wrong_number = await client.post(
        f"/api/v1/registrations/{ticket_b['registration_id']}/complete",
        json={"code": code_in(sms_a), "password": PASSWORD},
    )
    assert wrong_number.status_code == 422
    ok = await client.post(
        f"/api/v1/registrations/{ticket_a['registration_id']}/complete",
        json={"code": code_in(sms_a), "password": PASSWORD},
    )
    assert ok.status_code == 201
    again = await client.post(
        f"/api/v1/registrations/{ticket_a['registration_id']}/complete",
        json={"code": code_in(sms_a), "password": PASSWORD},
    )
    assert again.status_code == 422


async def test_resend_waits_grow_and_answer_429_with_retry_after(client, world, clock):
    ticket = (await _start(client, world["numbers"][0])).json()
    path = f"/api/v1/registrations/{ticket['registration_id']}/resend"
    too_soon = await client.post(path)
    assert too_soon.status_code == 429
    assert 0 < int(too_soon.headers["Retry-After"]) <= 31
    clock.at = NOW + timedelta(seconds=31)
    second = await client.post(path)
    assert second.status_code == 202
    assert second.json()["resend_after"].startswith("2026-11-20T09:31:31")  # 60 s later
    clock.at = NOW


async def test_sends_per_number_are_limited(client, world):
    number = world["numbers"][0]
    answers = [(await _start(client, number)).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]


async def test_a_weak_password_is_refused_without_using_up_the_code(client, world, mailbox):
    number = world["numbers"][0]
    ticket = (await _start(client, number)).json()
    (sms,) = await mailbox(number)
    path = f"/api/v1/registrations/{ticket['registration_id']}/complete"
    weak = await client.post(path, json={"code": code_in(sms), "password": "password"})
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
    assert (
        await client.post(path, json={"code": code_in(sms), "password": PASSWORD})
    ).status_code == 201


async def test_sends_per_client_address_are_limited(client, engine):
    answers = [(await _start(client, f"+39347555{n:04d}")).status_code for n in range(21)]
    assert answers == [202] * 20 + [429]
