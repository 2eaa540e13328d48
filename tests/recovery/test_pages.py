"""The recovery pages (R-A6): a code by SMS or e-mail, then the generated password shown
once; an explicit sign-in with it (once, within a day), then the user's own chosen."""

import re
from datetime import timedelta

import pytest

from tests.conftest import NOW
from tests.factories import iccid, make_user, make_world
from tests.identity.helpers import PASSWORD
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web
from tests.registration.test_api import code_in
from tests.registration.test_pages import code_path_of, resend, submit

NEW_PASSWORD = "Il-mio-nuovo-segreto-77"


@pytest.fixture(autouse=True)
def _pages(client):
    client.headers.update(HTML)


@pytest.fixture
async def employee(session):
    world = await make_world(session, lines=1)
    await make_user(session, world, email="giulia@example.it")
    return world


def generated_in(page_html: str) -> str:
    match = re.search(r'<code class="generated">([^<]+)</code>', page_html)
    assert match, page_html[page_html.find("<main") :][:1500]
    return match.group(1)


async def test_recovery_shows_the_password_once_then_asks_for_a_new_one(client, employee, mailbox):
    number = employee["numbers"][0]
    start = await client.get("/recover")
    assert "<h1>Recupera password</h1>" in start.text
    path = code_path_of(await submit(client, "/recover", username=number[3:]))
    assert re.search(
        r'class="link-button resend">Invia di nuovo l&#39;SMS<', (await client.get(path)).text
    )
    (sms,) = await mailbox(number)
    shown = await submit(client, path, code=code_in(sms))
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    generated = generated_in(shown.text)
    assert "Annulla e sostituisce la precedente" in shown.text and "entro 24 ore" in shown.text
    assert f'name="username" autocomplete="username" required value="{number}"' in shown.text
    # Not spent by an automatic sign-in: the tab is closed, nobody is signed in.
    assert (await client.get("/home")).headers["location"].startswith("/login")
    assert (await client.get(path)).text.count(generated) == 0  # shown once

    signed_in = await sign_in_web(client, number, generated)
    assert signed_in.headers["location"] == "/account/password"
    page = await client.get("/account/password")
    assert generated not in page.text and 'name="current_password"' not in page.text
    changed = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf_of(page.text),
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 200
    client.cookies.clear()
    assert (await sign_in_web(client, number, PASSWORD)).status_code == 401
    assert (await sign_in_web(client, number, generated)).status_code == 401  # used up
    assert (await sign_in_web(client, number, NEW_PASSWORD)).headers["location"] == "/home"


async def _generated_password(client, number, mailbox) -> str:
    path = code_path_of(await submit(client, "/recover", username=number))
    (sms,) = await mailbox(number)
    return generated_in((await submit(client, path, code=code_in(sms))).text)


async def test_the_generated_password_signs_in_once(client, employee, mailbox):
    number = employee["numbers"][0]
    generated = await _generated_password(client, number, mailbox)
    assert (await sign_in_web(client, number, generated)).headers["location"] == "/account/password"
    client.cookies.clear()  # another tab, without choosing a password
    assert (await sign_in_web(client, number, generated)).status_code == 401
    assert (await sign_in_web(client, number, PASSWORD)).status_code == 401  # replaced


async def test_the_generated_password_expires_after_a_day(client, employee, mailbox, clock):
    number = employee["numbers"][0]
    generated = await _generated_password(client, number, mailbox)
    clock.at = NOW + timedelta(hours=24, minutes=1)
    try:
        assert (await sign_in_web(client, number, generated)).status_code == 401
    finally:
        clock.at = NOW
    # Within the day it still works: the refusal spent nothing.
    assert (await sign_in_web(client, number, generated)).headers["location"] == (
        "/account/password"
    )


async def test_a_wrong_code_keeps_the_old_password(client, employee, mailbox):
    number = employee["numbers"][0]
    path = code_path_of(await submit(client, "/recover", username=number))
    wrong = await submit(client, path, code="000000")
    assert wrong.status_code == 422 and "Il codice è errato o scaduto" in wrong.text
    assert (await sign_in_web(client, number, PASSWORD)).headers["location"] == "/home"


async def test_an_unknown_username_gets_the_same_pages(client, employee, mailbox):
    path = code_path_of(await submit(client, "/recover", username="+393470000123"))
    page = await client.get(path)
    assert "Invia di nuovo l&#39;SMS" in page.text
    assert '<a href="/recover">Numero o dati sbagliati? Torna indietro e cambiali</a>' in page.text
    assert await mailbox("+393470000123") == []


async def test_the_code_by_email_instead(client, employee, mailbox, clock):
    path = code_path_of(
        await submit(client, "/recover", username=employee["numbers"][0], by_email="1")
    )
    assert "Invia di nuovo l&#39;e-mail" in (await client.get(path)).text
    assert len(await mailbox("giulia@example.it")) == 1  # delivered before the resend
    clock.at = NOW + timedelta(seconds=31)
    try:
        assert (await resend(client, path)).headers["location"] == path + "?resent=1"
        newest, _first = await mailbox("giulia@example.it")
        shown = await submit(client, path, code=code_in(newest))
        assert generated_in(shown.text)
    finally:
        clock.at = NOW


async def test_after_a_sim_swap_no_sms_code_and_the_email_on_file_says_why(
    client, backoffice, employee, clock, mailbox
):
    number = employee["numbers"][0]
    swap = await backoffice.post(
        f"/api/v1/backoffice/lines/{number}/sim-swap", json={"iccid": iccid(), "puk": "12121212"}
    )
    assert swap.status_code == 200
    del client.headers["Authorization"]
    # The next step is the one every username gets, with its note on codes that do not come.
    path = code_path_of(await submit(client, "/recover", username=number))
    page = await client.get(path)
    assert "Invia di nuovo l&#39;SMS" in page.text
    assert "Non lo inviamo mai via SMS nelle 72 ore dopo una sostituzione della SIM" in page.text
    assert await mailbox(number) == []
    (notice,) = await mailbox("giulia@example.it")
    assert "sostituita meno di 72 ore fa" in notice["text"]
    assert "Chiedi il codice via e-mail" in notice["text"]
    path = code_path_of(await submit(client, "/recover", username=number, by_email="1"))
    (code,) = [m for m in await mailbox("giulia@example.it") if "72 ore" not in m["text"]]
    assert generated_in((await submit(client, path, code=code_in(code))).text)
