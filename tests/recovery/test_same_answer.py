"""Recovery reveals nothing (issue 12 §3): every username gets the same 202, byte for byte,
after the same reads, whether it is unknown, can take the code, or cannot (no e-mail on
file, SIM changed in the last 72 hours). Why no code comes reaches only the user, on a
channel they own."""

import re
from datetime import timedelta

import pytest

from linedesk.inventory.schemas import LineCreate, SimSwap
from linedesk.inventory.service import RESOURCES, create_one, swap_sim
from linedesk.kit.repository import Scope
from tests.conftest import NOW
from tests.factories import CTX, iccid, line_data, make_user, make_world
from tests.identity.answers import (
    password_hash,
    seen_by_client,
    statements,
    without_outbox,
)
from tests.identity.test_web_sessions import HTML, csrf_of
from tests.registration.test_api import code_in
from tests.registration.test_pages import code_path_of, submit

UNKNOWN = "+393479876543"  # beyond what the factories number


@pytest.fixture
async def numbers(session):
    """One number for each case; a registered employee's username is their number."""
    world = await make_world(session, lines=5)
    plain, swapped_email, swapped, unregistered, with_email = world["numbers"]
    data = line_data(world["account"], world["offer"], data_only=True)
    await create_one(session, RESOURCES["lines"], LineCreate(**data), CTX)
    await session.commit()
    hashed = await password_hash()
    for username, email in (
        (plain, None),
        (swapped_email, "anna@example.it"),
        (swapped, None),
        (with_email, "marco@example.it"),
        (data["msisdn"], "dati@example.it"),
    ):
        await make_user(session, world, username=username, email=email, password_hash=hashed)
    for number in (swapped_email, swapped):
        await swap_sim(
            session, Scope.operator(), number, SimSwap(iccid=iccid(), puk="12121212"), CTX
        )
    await session.commit()
    return {
        "plain": plain,
        "swapped_email": swapped_email,
        "swapped": swapped,
        "unregistered": unregistered,
        "with_email": with_email,
        "data_only": data["msisdn"],
    }


async def _recover(client, username, channel=None):
    body = {"username": username} | ({"channel": channel} if channel else {})
    return await client.post("/api/v1/password-recoveries", json=body)


def _seen(response):
    assert response.status_code == 202, response.text
    return seen_by_client(response, response.json()["recovery_id"])


async def test_by_sms_every_number_gets_the_unknown_numbers_answer_after_the_same_reads(
    app, client, numbers
):
    with statements(app.state.engine) as unknown_work:
        unknown = await _recover(client, UNKNOWN)
    for case in ("plain", "swapped_email", "swapped", "unregistered", "data_only"):
        with statements(app.state.engine) as work:
            answer = await _recover(client, numbers[case])
        assert _seen(answer) == _seen(unknown), case
        assert answer.json()["channel"] == "sms"
        assert without_outbox(work) == unknown_work, case
        # A registered user gets one message (the code, or why none comes); a stranger none.
        assert len(work) - len(without_outbox(work)) == (case != "unregistered"), case


async def test_by_email_every_number_gets_the_unknown_numbers_answer_after_the_same_reads(
    app, client, numbers
):
    with statements(app.state.engine) as unknown_work:
        unknown = await _recover(client, UNKNOWN, "email")
    for case in ("plain", "with_email", "unregistered"):
        with statements(app.state.engine) as work:
            answer = await _recover(client, numbers[case], "email")
        assert _seen(answer) == _seen(unknown), case
        assert answer.json()["channel"] == "email"
        assert without_outbox(work) == unknown_work, case


async def test_a_manager_username_and_an_unknown_one_get_the_same_answer(app, client, session):
    world = await make_world(session, lines=0)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    with statements(app.state.engine) as unknown_work:
        unknown = await _recover(client, "nobody.here")
    with statements(app.state.engine) as work:
        known = await _recover(client, "laura")
    assert _seen(known) == _seen(unknown)
    assert without_outbox(work) == unknown_work


async def test_the_reason_reaches_the_user_on_the_channel_they_own(client, numbers, mailbox):
    for case in ("plain", "swapped_email", "swapped", "unregistered"):
        await _recover(client, numbers[case])
    await _recover(client, numbers["plain"], "email")
    await _recover(client, numbers["data_only"])

    # Both sent at the same (frozen) time: told apart by what they say.
    code_sms, no_email = sorted(
        await mailbox(numbers["plain"]), key=lambda sms: "indirizzo e-mail" in sms["text"]
    )
    assert "il codice per recuperare la password è" in code_sms["text"]
    assert "non c'è un indirizzo e-mail registrato" in no_email["text"]
    assert "Chiedilo via SMS" in no_email["text"]
    # After a SIM change: no SMS to the line, the e-mail on file says why…
    assert await mailbox(numbers["swapped_email"]) == []
    (notice,) = await mailbox("anna@example.it")
    assert notice["subject"] == "Recupero password linedesk: codice non inviato via SMS"
    assert "sostituita meno di 72 ore fa" in notice["text"]
    assert "contatta l'assistenza clienti" in notice["text"]
    # …or, with none on file, the line itself, without a code.
    (sms,) = await mailbox(numbers["swapped"])
    assert "sostituita meno di 72 ore fa" in sms["text"]
    for told in (no_email, notice, sms):
        assert not re.search(r"\d{6}", told["text"])
    # A data-only SIM gets its code by e-mail; a line nobody registered gets nothing.
    (email,) = await mailbox("dati@example.it")
    assert code_in(email)
    assert await mailbox(numbers["unregistered"]) == []
    assert await mailbox(UNKNOWN) == []


async def test_send_again_answers_alike_and_repeats_the_reason(client, numbers, clock, mailbox):
    unknown = (await _recover(client, UNKNOWN)).json()["recovery_id"]
    swapped = (await _recover(client, numbers["swapped"])).json()["recovery_id"]
    clock.at = NOW + timedelta(seconds=31)
    try:
        again = [
            await client.post(f"/api/v1/password-recoveries/{ticket}/resend")
            for ticket in (unknown, swapped)
        ]
        delivered = await mailbox(numbers["swapped"])
    finally:
        clock.at = NOW
    assert _seen(again[0]) == _seen(again[1])
    assert len(delivered) == 2
    assert all(
        "72 ore" in sms["text"] and not re.search(r"\d{6}", sms["text"]) for sms in delivered
    )


async def test_no_code_is_good_where_none_was_sent(client, numbers):
    ticket = (await _recover(client, numbers["swapped"])).json()["recovery_id"]
    for guess in ("000000", "999999"):
        refused = await client.post(
            f"/api/v1/password-recoveries/{ticket}/complete", json={"code": guess}
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "invalid_code"


async def test_the_pages_are_the_same_for_every_username(app, client, numbers):
    client.headers.update(HTML)

    async def journey(username, **fields):
        with statements(app.state.engine) as work:
            started = await submit(client, "/recover", username=username, **fields)
        path = code_path_of(started)
        page = await client.get(path)
        public_id = path.rsplit("/", 1)[1]
        return (
            seen_by_client(started, public_id),
            seen_by_client(page, public_id, csrf_of(page.text)),
            without_outbox(work),
        )

    for fields in ({}, {"by_email": "1"}):
        unknown = await journey(UNKNOWN, **fields)
        for case in ("plain", "swapped_email", "swapped", "data_only"):
            assert await journey(numbers[case], **fields) == unknown, (case, fields)
