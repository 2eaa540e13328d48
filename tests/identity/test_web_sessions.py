"""Web sessions (R-A9): the __Host- cookie, CSRF on forms, logout on the server."""

import re

import pytest

from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD

HTML = {"Accept": "text/html"}


def csrf_of(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
async def world(session):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    return world


async def sign_in_web(client, username, password=PASSWORD):
    page = await client.get("/login", headers=HTML)
    return await client.post(
        "/login",
        headers=HTML,
        data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
    )


async def test_the_session_cookie_is_host_prefixed_secure_httponly_samesite(client, world):
    response = await sign_in_web(client, world["numbers"][0])
    assert response.status_code == 303 and response.headers["location"] == "/home"
    cookie = next(
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith("__Host-linedesk=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite", "path"} <= attributes
    assert "samesite=lax" in cookie.lower() and "domain" not in attributes
    home = await client.get("/home", headers=HTML)
    assert home.status_code == 200
    assert world["numbers"][0] in home.text


async def test_a_form_post_without_the_csrf_token_is_rejected(client, world):
    await client.get("/login", headers=HTML)
    response = await client.post(
        "/login", headers=HTML, data={"username": world["numbers"][0], "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "__Host-linedesk=" not in response.headers.get("set-cookie", "")
    forged = await client.post(
        "/login",
        headers=HTML,
        data={"csrf_token": "forged", "username": world["numbers"][0], "password": PASSWORD},
    )
    assert forged.status_code == 403


async def test_api_calls_with_the_cookie_need_the_csrf_header(client, world):
    await sign_in_web(client, world["numbers"][0])
    assert (await client.get("/api/v1/me")).status_code == 200
    response = await client.put("/api/v1/me/active-line", json={"msisdn": world["numbers"][0]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


async def test_logout_ends_the_session_on_the_server(client, world):
    await sign_in_web(client, world["numbers"][0])
    cookie = client.cookies.get("__Host-linedesk")
    home = await client.get("/home", headers=HTML)
    response = await client.post("/logout", headers=HTML, data={"csrf_token": csrf_of(home.text)})
    assert response.status_code == 303
    client.cookies.set("__Host-linedesk", cookie, domain="testserver")  # replay the old cookie
    again = await client.get("/home", headers=HTML)
    assert again.status_code == 303 and again.headers["location"] == "/login?next=/home"


async def test_a_wrong_password_shows_the_form_again_in_italian(client, world):
    response = await sign_in_web(client, world["numbers"][0], "Not-The-Password-1")
    assert response.status_code == 401
    assert "Nome utente o password errati" in response.text


async def test_pages_need_a_session(client):
    response = await client.get("/account/password", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account/password"


async def test_a_browser_session_has_idle_and_absolute_timeouts(client, world, clock):
    from datetime import timedelta

    from tests.conftest import NOW

    await sign_in_web(client, world["numbers"][0])
    clock.at = NOW + timedelta(minutes=29)
    assert (await client.get("/home", headers=HTML)).status_code == 200
    clock.at = NOW + timedelta(minutes=29 + 31)  # idle for more than 30 minutes
    assert (await client.get("/home", headers=HTML)).status_code == 303

    clock.at = NOW
    client.cookies.clear()
    await sign_in_web(client, world["numbers"][0])
    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes…
        clock.at = NOW + timedelta(minutes=minutes)
        assert (await client.get("/home", headers=HTML)).status_code == 200, minutes
    clock.at = NOW + timedelta(hours=12, minutes=1)  # …but never past 12 hours in all
    assert (await client.get("/home", headers=HTML)).status_code == 303
    clock.at = NOW


async def test_a_signed_in_page_that_shows_an_error_keeps_the_menu(client, world):
    await sign_in_web(client, world["numbers"][0])
    page = await client.get("/account/password", headers=HTML)
    wrong = await client.post(
        "/account/password",
        headers=HTML,
        data={
            "csrf_token": csrf_of(page.text),
            "current_password": "not-it-at-all-1",
            "new_password": "A-brand-new-secret-42",
            "confirm_password": "A-brand-new-secret-42",
        },
    )
    assert wrong.status_code == 422
    assert "La password attuale è errata" in wrong.text
    assert world["numbers"][0] in wrong.text  # the avatar menu still shows the line
    forbidden = await client.get("/audit-log", headers=HTML)
    assert forbidden.status_code == 403
    assert "Qualcosa è andato storto" in forbidden.text and world["numbers"][0] in forbidden.text
