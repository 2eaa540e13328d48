"""The registration pages (R-A3, R-A4): the employee's wizard by SMS or, for a data-only SIM,
by e-mail; the orange "send again"; the user admin's registration on the portal."""

import re
from datetime import timedelta

import pytest

from linedesk.inventory.schemas import BillingAccountCreate, CompanyCreate, LineCreate
from linedesk.inventory.service import RESOURCES, create_one
from tests.conftest import NOW
from tests.factories import CTX, account_data, company_data, line_data, make_user, make_world
from tests.identity.test_web_sessions import HTML, csrf_of
from tests.registration.test_api import code_in

PASSWORD = "Una-password-lunga-42"
PUK = "55667788"


@pytest.fixture(autouse=True)
def _pages(client):
    client.headers.update(HTML)


@pytest.fixture
async def world(session):
    return await make_world(session, lines=2)


async def submit(client, path, **fields):
    """Open the page, then post its form with the page's CSRF token, as a browser would."""
    page = await client.get(path)
    return await client.post(path, data={"csrf_token": csrf_of(page.text), **fields})


async def resend(client, code_path):
    page = await client.get(code_path)
    return await client.post(code_path + "/resend", data={"csrf_token": csrf_of(page.text)})


def code_path_of(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def test_an_employee_registers_by_sms_and_lands_signed_in(client, world, mailbox):
    number = world["numbers"][0]
    start = await client.get("/register")
    assert "<h1>Registrati</h1>" in start.text and "solo dati" in start.text
    path = code_path_of(await submit(client, "/register", msisdn=number[3:]))
    assert re.fullmatch(r"/register/[\w-]+", path)
    page = await client.get(path)
    assert "Codice di verifica" in page.text
    assert re.search(r'class="link-button resend">Invia di nuovo l&#39;SMS<', page.text)
    assert '<a href="/register">Numero o dati sbagliati? Torna indietro e cambiali</a>' in page.text
    (sms,) = await mailbox(number)
    done = await submit(
        client, path, code=code_in(sms), password=PASSWORD, confirm_password=PASSWORD
    )
    assert done.status_code == 303 and done.headers["location"] == "/home"
    home = await client.get("/home")
    assert home.status_code == 200 and number in home.text


async def test_wrong_code_and_differing_passwords_show_the_form_again(client, world, mailbox):
    number = world["numbers"][0]
    path = code_path_of(await submit(client, "/register", msisdn=number))
    differ = await submit(
        client, path, code="000000", password=PASSWORD, confirm_password=PASSWORD + "x"
    )
    assert differ.status_code == 422 and "Le due password non coincidono" in differ.text
    wrong = await submit(client, path, code="000000", password=PASSWORD, confirm_password=PASSWORD)
    assert wrong.status_code == 422 and "Il codice è errato o scaduto" in wrong.text
    weak = await submit(client, path, code="000000", password="short", confirm_password="short")
    assert "La password deve avere almeno 12 caratteri." in weak.text
    (sms,) = await mailbox(number)
    done = await submit(
        client, path, code=code_in(sms), password=PASSWORD, confirm_password=PASSWORD
    )
    assert done.headers["location"] == "/home"


async def test_an_invalid_number_is_explained_in_italian(client, world):
    response = await submit(client, "/register", msisdn="12")
    assert response.status_code == 422
    assert "Controlla i dati inseriti" in response.text
    assert "Inserisci un numero di cellulare italiano" in response.text


async def test_send_again_waits_then_sends_a_new_code(client, world, clock, mailbox):
    number = world["numbers"][1]
    path = code_path_of(await submit(client, "/register", msisdn=number))
    first = await resend(client, path)
    assert first.status_code == 429 and int(first.headers["Retry-After"]) > 0
    assert "Attendi qualche istante prima di chiedere di nuovo il codice" in first.text
    assert "Puoi riprovare tra" in first.text
    assert len(await mailbox(number)) == 1  # delivered before the resend
    clock.at = NOW + timedelta(seconds=31)
    try:
        again = await resend(client, path)
        assert again.headers["location"] == path + "?resent=1"
        page = await client.get(again.headers["location"])
        assert "Ti abbiamo inviato un nuovo codice" in page.text
        assert "Puoi chiedere un nuovo codice dalle 10:31:31" in page.text  # Rome time
        newest, _older = await mailbox(number)
        done = await submit(
            client, path, code=code_in(newest), password=PASSWORD, confirm_password=PASSWORD
        )
        assert done.headers["location"] == "/home"
    finally:
        clock.at = NOW


async def test_an_already_registered_number_gets_the_same_pages(client, session, world, mailbox):
    await make_user(session, world)
    path = code_path_of(await submit(client, "/register", msisdn=world["numbers"][0]))
    assert "Invia di nuovo l&#39;SMS" in (await client.get(path)).text
    (sms,) = await mailbox(world["numbers"][0])
    assert re.search(r"\b\d{6}\b", sms["text"]) is None  # no code: how to recover instead


@pytest.fixture
async def data_sim(session, world):
    data = line_data(world["account"], world["offer"], puk=PUK, data_only=True)
    await create_one(session, RESOURCES["lines"], LineCreate(**data), CTX)
    await session.commit()
    return data["msisdn"]


async def test_a_data_only_sim_registers_with_its_puk_by_email(client, data_sim, mailbox):
    wrong = await submit(
        client,
        "/register",
        msisdn=data_sim,
        data_only="1",
        puk="00000000",
        email="giulia@example.it",
    )
    assert wrong.status_code == 422 and "Il PUK è errato" in wrong.text
    assert 'value="giulia@example.it"' in wrong.text and "00000000" not in wrong.text
    missing = await submit(client, "/register", msisdn=data_sim, data_only="1")
    assert "Per una SIM solo dati servono il PUK e un indirizzo e-mail" in missing.text
    path = code_path_of(
        await submit(
            client, "/register", msisdn=data_sim, data_only="1", puk=PUK, email="giulia@example.it"
        )
    )
    page = await client.get(path)
    assert "Invia di nuovo l&#39;e-mail" in page.text and "via e-mail" in page.text
    (email,) = await mailbox("giulia@example.it")
    done = await submit(
        client, path, code=code_in(email), password=PASSWORD, confirm_password=PASSWORD
    )
    assert done.headers["location"] == "/home"


async def test_a_data_only_sim_without_the_box_gets_no_sms_and_is_led_to_the_puk(
    client, data_sim, mailbox
):
    refused = await submit(client, "/register", msisdn=data_sim)
    assert refused.status_code == 422
    assert "Questa è una SIM solo dati: non può ricevere SMS" in refused.text
    assert (
        'name="data_only" type="checkbox" value="1" aria-describedby="data-only-note" checked'
        in (refused.text)
    )
    assert f'value="{data_sim}"' in refused.text
    assert await mailbox(data_sim) == []  # no SMS it could not receive
    api = await client.post("/api/v1/registrations", json={"msisdn": data_sim})
    assert api.status_code == 422 and api.json()["error"]["code"] == "data_only_sim"
    assert await mailbox(data_sim) == []


async def test_a_voice_sim_is_told_to_use_sms(client, world):
    response = await submit(
        client,
        "/register",
        msisdn=world["numbers"][0],
        data_only="1",
        puk="87654321",
        email="giulia@example.it",
    )
    assert "Questa SIM riceve SMS: registrati con il codice via SMS" in response.text


async def test_the_pages_speak_english_on_request(client, world):
    page = await client.get("/register", params={"lang": "en"})
    assert "<h1>Register</h1>" in page.text and "My SIM is data-only" in page.text
    path = code_path_of(await submit(client, "/register", msisdn=world["numbers"][0]))
    assert "Send the SMS again" in (await client.get(path)).text


async def test_a_form_without_csrf_is_refused(client, world):
    response = await client.post("/register", data={"msisdn": world["numbers"][0]})
    assert response.status_code == 403


# --- user admins on the portal -------------------------------------------------------------


async def test_a_user_admin_registers_the_company_on_the_portal(client, session, world, mailbox):
    await make_user(session, world, profile="user_admin", username="taken")
    start = await client.get("/portal/register")
    assert "Partita IVA" in start.text and "Codice conto di fatturazione" in start.text
    path = code_path_of(
        await submit(
            client,
            "/portal/register",
            vat_number=world["vat"],
            billing_account_code=world["account"],
        )
    )
    assert "Invia di nuovo l&#39;e-mail" in (await client.get(path)).text
    (email,) = await mailbox("amministrazione@rossi-impianti.it")
    taken = await submit(
        client,
        path,
        code=code_in(email),
        username="Taken",
        password=PASSWORD,
        confirm_password=PASSWORD,
    )
    assert "Questo nome utente è già in uso: scegline un altro" in taken.text
    # The refusal is undone as a whole: the same code still works with another username.
    done = await submit(
        client,
        path,
        code=code_in(email),
        username="laura.admin",
        password=PASSWORD,
        confirm_password=PASSWORD,
        email="",
    )
    assert done.headers["location"] == "/home"
    assert "laura.admin" in (await client.get("/home")).text


async def test_a_large_enterprise_is_told_clearly_by_e_mail(client, session, mailbox):
    company = CompanyCreate(**company_data(segment="large"))
    await create_one(session, RESOURCES["companies"], company, CTX)
    account = BillingAccountCreate(**account_data(company.vat_number))
    await create_one(session, RESOURCES["billing-accounts"], account, CTX)
    await session.commit()
    # The portal states the rule to everyone; the company's own address gets the message.
    assert "solo piccole e medie imprese" in (await client.get("/portal/register")).text
    path = code_path_of(
        await submit(
            client,
            "/portal/register",
            vat_number=company.vat_number,
            billing_account_code=account.code,
        )
    )
    assert "Invia di nuovo l&#39;e-mail" in (await client.get(path)).text
    (email,) = await mailbox(company.contact_email)
    assert "Le grandi aziende non hanno il profilo Responsabile Aziendale" in email["text"]
