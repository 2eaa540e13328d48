"""The managers' pages (R-A5, R-A11): the list, creating and removing telco managers, the
activation page of the e-mail, the audit log; what each profile may see and do."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from linedesk.identity.models import User
from linedesk.identity.totp import current_code
from tests.conftest import NOW
from tests.factories import make_user, make_world
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web
from tests.registration.test_api import code_in

NEW_PASSWORD = "Marco-sceglie-la-sua-1"


@pytest.fixture
async def company(session):
    world = await make_world(session, lines=1)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    return world


async def _post(client, path, data, page="/managers"):
    form = await client.get(page, headers=HTML)
    return await client.post(path, headers=HTML, data={"csrf_token": csrf_of(form.text), **data})


async def _create_marco(client, **extra):
    return await _post(
        client, "/managers", {"username": "marco", "email": "marco@example.it", **extra}
    )


def _actions(page_html: str) -> list[str]:
    """The action column of the audit log, top to bottom."""
    return re.findall(r"</time></td>\s*<td[^>]*>([^<]*)</td>", page_html)


def _activation_path(email) -> str:
    match = re.search(r"https?://[^/\s]+(/managers/activate/[\w-]+)", email["text"])
    assert match, email["text"]
    return match.group(1)


async def test_a_user_admin_creates_a_telco_manager_who_is_told_by_email(client, company, mailbox):
    await sign_in_web(client, "laura")
    created = await _create_marco(client)
    assert created.status_code == 303
    page = await client.get(created.headers["location"], headers=HTML)
    assert page.status_code == 200
    assert "marco è stato creato" in page.text
    assert "e-mail di attivazione a marco@example.it" in page.text
    assert "In attesa di attivazione" in page.text
    assert 'type="password"' not in page.text  # the creator never chooses it
    (email,) = await mailbox("marco@example.it")
    assert "/managers/activate/" in email["text"]


async def test_the_new_manager_activates_from_the_email_and_is_signed_in(client, company, mailbox):
    await sign_in_web(client, "laura")
    await _create_marco(client)
    client.cookies.clear()
    (email,) = await mailbox("marco@example.it")
    path = _activation_path(email)
    page = await client.get(path, headers=HTML)
    assert page.status_code == 200
    assert "Attiva il profilo" in page.text and "marco" in page.text
    assert 'class="link-button resend"' in page.text

    wrong = await client.post(
        path,
        headers=HTML,
        data={
            "csrf_token": csrf_of(page.text),
            "code": "000000" if code_in(email) != "000000" else "111111",
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422
    differ = await client.post(
        path,
        headers=HTML,
        data={
            "csrf_token": csrf_of(page.text),
            "code": code_in(email),
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD + "x",
        },
    )
    assert differ.status_code == 422 and "Le due password non coincidono" in differ.text
    done = await client.post(
        path,
        headers=HTML,
        data={
            "csrf_token": csrf_of(page.text),
            "code": code_in(email),
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/home"
    home = await client.get("/home", headers=HTML)
    assert home.status_code == 200 and "marco" in home.text

    client.cookies.clear()
    await sign_in_web(client, "laura")
    listed = await client.get("/managers", headers=HTML)
    assert "In attesa di attivazione" not in listed.text
    assert listed.text.count("Attivo") == 2


async def test_send_again_sends_a_new_code_that_replaces_the_old(client, company, mailbox, clock):
    await sign_in_web(client, "laura")
    await _create_marco(client)
    (first,) = await mailbox("marco@example.it")
    path = _activation_path(first)
    too_soon = await _post(client, f"{path}/resend", {}, page=path)
    assert too_soon.status_code == 429 and "Retry-After" in too_soon.headers
    clock.at = NOW + timedelta(seconds=31)
    resent = await _post(client, f"{path}/resend", {}, page=path)
    assert resent.status_code == 200 and "nuovo codice" in resent.text
    second, _first = await mailbox("marco@example.it")
    assert _activation_path(second) == path


async def test_a_taken_username_or_a_bad_email_shows_the_form_again(client, company):
    await sign_in_web(client, "laura")
    taken = await _post(client, "/managers", {"username": "laura", "email": "l2@example.it"})
    assert taken.status_code == 409
    assert 'role="alert"' in taken.text and 'value="l2@example.it"' in taken.text
    bad = await _post(client, "/managers", {"username": "marco", "email": "not-an-address"})
    assert bad.status_code == 422 and "indirizzo e-mail valido" in bad.text


async def test_a_telco_manager_sees_the_list_but_cannot_manage(client, company, session):
    await make_user(session, company, profile="telco_manager", username="tm", email="tm@example.it")
    await sign_in_web(client, "tm")
    page = await client.get("/managers", headers=HTML)
    assert page.status_code == 200 and "laura" in page.text
    assert 'action="/managers"' not in page.text and "/remove" not in page.text
    refused = await _create_marco(client)
    assert refused.status_code == 403
    assert "Questa pagina è riservata allo User Admin" in refused.text
    assert (await client.get("/audit-log", headers=HTML)).status_code == 403


async def test_an_employee_cannot_open_the_managers_page(client, company, session):
    await make_user(session, company)
    await sign_in_web(client, company["numbers"][0])
    page = await client.get("/managers", headers=HTML)
    assert page.status_code == 403 and "riservata ai Responsabili aziendali" in page.text


async def test_a_user_admin_removes_a_telco_manager_after_confirming(client, company, session):
    telco_id = await make_user(
        session, company, profile="telco_manager", username="tm", email="tm@example.it"
    )
    await sign_in_web(client, "laura")
    listed = await client.get("/managers", headers=HTML)
    assert f'href="/managers/{telco_id}/remove"' in listed.text
    confirm = await client.get(f"/managers/{telco_id}/remove", headers=HTML)
    assert confirm.status_code == 200 and "Sì, rimuovi tm" in confirm.text
    removed = await client.post(
        f"/managers/{telco_id}/remove", headers=HTML, data={"csrf_token": csrf_of(confirm.text)}
    )
    assert removed.status_code == 303
    page = await client.get(removed.headers["location"], headers=HTML)
    assert "non può più accedere" in page.text and ">tm<" not in page.text
    session.expire_all()
    stored = await session.get(User, telco_id)
    assert stored is not None and stored.disabled_at is not None


async def test_another_companys_manager_is_a_404_page(client, company, session):
    other = await make_world(session, "Altra S.r.l.", lines=0)
    other_id = await make_user(
        session, other, profile="telco_manager", username="altro", email="altro@example.it"
    )
    await sign_in_web(client, "laura")
    confirm = await client.get(f"/managers/{other_id}/remove", headers=HTML)
    assert confirm.status_code == 404 and "altro" not in confirm.text
    posted = await _post(client, f"/managers/{other_id}/remove", {})
    assert posted.status_code == 404 and "Responsabile non trovato" in posted.text
    session.expire_all()
    assert (await session.get(User, other_id)).disabled_at is None


async def test_the_audit_log_lists_the_companys_events_newest_first_in_pages(
    client, company, session
):
    await sign_in_web(client, "laura", "wrong-password-123")
    await sign_in_web(client, "laura")
    await _create_marco(client)
    other = await make_world(session, "Altra S.r.l.", lines=0)
    await make_user(session, other, profile="user_admin", username="altra", email="a@example.it")
    page = await client.get("/audit-log", headers=HTML)
    assert page.status_code == 200
    assert _actions(page.text) == ["Telco Manager creato", "Accesso", "Accesso non riuscito"]
    assert "laura, riguardo a marco" in page.text and "altra" not in page.text
    assert "20/11/2026 10:30" in page.text  # the one date style: day, then time in Rome

    first = await client.get("/audit-log?limit=2", headers=HTML)
    assert _actions(first.text) == ["Telco Manager creato", "Accesso"]
    assert 'href="/audit-log?offset=2&amp;limit=2" rel="next"' in first.text
    second = await client.get("/audit-log?offset=2&limit=2", headers=HTML)
    assert _actions(second.text) == ["Accesso non riuscito"] and 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text


async def test_the_managers_pages_speak_english_when_chosen(client, company):
    await sign_in_web(client, "laura")
    page = await client.get("/managers?lang=en", headers=HTML)
    assert "Create a Telco Manager" in page.text and "Active" in page.text
    log = await client.get("/audit-log", headers=HTML)
    assert "Signed in" in log.text


async def test_the_activation_page_of_an_unknown_link_is_404(client, company):
    page = await client.get("/managers/activate/not-a-real-id", headers=HTML)
    assert page.status_code == 404


async def test_creating_a_manager_never_sets_their_password(client, company, session):
    await sign_in_web(client, "laura")
    await _create_marco(client, language="en")
    session.expire_all()
    marco = (await session.scalars(select(User).where(User.username == "marco"))).one()
    assert marco.password_hash is None and marco.language == "en"


async def test_a_manager_turns_two_step_verification_on_and_off(client, company, clock):
    await sign_in_web(client, "laura")
    page = await client.get("/account/two-factor", headers=HTML)
    assert page.status_code == 200 and "non è attiva" in page.text
    setup = await _post(
        client, "/account/two-factor", {"action": "setup"}, page="/account/two-factor"
    )
    assert setup.status_code == 200
    assert 'role="img" aria-label="Codice QR da inquadrare' in setup.text and "<svg" in setup.text
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', setup.text)
    assert secret
    right = current_code(secret.group(1), NOW)
    wrong = await _post(
        client,
        "/account/two-factor",
        {"action": "enable", "code": "000000" if right != "000000" else "111111"},
        page="/account/two-factor",
    )
    assert wrong.status_code == 422 and "Il codice è errato o scaduto" in wrong.text
    assert secret.group(1) in wrong.text  # the same key again: the scan still counts
    enabled = await _post(
        client,
        "/account/two-factor",
        {"action": "enable", "code": right},
        page="/account/two-factor",
    )
    assert enabled.status_code == 303
    on = await client.get(enabled.headers["location"], headers=HTML)
    assert "La verifica in due passaggi è attiva" in on.text
    assert 'value="disable"' in on.text

    clock.at = NOW + timedelta(minutes=2)
    disabled = await _post(
        client,
        "/account/two-factor",
        {"action": "disable", "code": current_code(secret.group(1), clock.now())},
        page="/account/two-factor",
    )
    assert disabled.status_code == 303
    off = await client.get(disabled.headers["location"], headers=HTML)
    assert "è stata disattivata" in off.text and 'value="setup"' in off.text


async def test_employees_have_no_two_step_verification_page(client, company, session):
    await make_user(session, company)
    await sign_in_web(client, company["numbers"][0])
    assert (await client.get("/account/two-factor", headers=HTML)).status_code == 403
