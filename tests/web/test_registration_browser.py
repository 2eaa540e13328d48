"""In a real browser, in Italian: an employee registers with the SMS code, lands signed in,
signs out, signs in with the chosen password and signs out again."""

import asyncio
import re

import httpx
import pytest

from tests.factories import make_world

pytestmark = pytest.mark.browser

PASSWORD = "Una-password-lunga-42"


async def code_sent_to(live_server: str, recipient: str) -> str:
    """The newest code in the development mailbox for the recipient (the live server's
    worker delivers in the background: poll for a few seconds)."""
    async with httpx.AsyncClient(base_url=live_server) as http:
        for _ in range(100):
            messages = (await http.get("/api/v1/dev/outbox", params={"limit": 100})).json()
            mine = [m for m in messages if m["recipient"] == recipient]
            if mine:
                match = re.search(r"\b(\d{6})\b", mine[0]["text"])
                assert match, mine[0]["text"]
                return match.group(1)
            await asyncio.sleep(0.1)
    raise AssertionError(f"no message reached {recipient}")


async def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    await page.locator(".avatar-menu summary").click()
    await page.locator('form[action="/logout"] button').click()
    await page.wait_for_url("**/login")


async def sign_in(page, live_server: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(live_server + "/login")
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(password)
    await page.locator('form[action="/login"] button[type="submit"]').click()


async def test_register_sign_in_and_sign_out(live_server, page, session):
    world = await make_world(session, lines=1)
    number = world["numbers"][0]

    await page.goto(live_server + "/register")
    assert await page.get_attribute("html", "lang") == "it"
    assert await page.get_by_role("heading", level=1).inner_text() == "Registrati"
    assert await page.get_by_label("La mia SIM è solo dati").is_visible()  # no JS needed
    await page.get_by_label("Numero di cellulare").fill(number[3:])
    await page.get_by_role("button", name="Invia il codice").click()
    await page.wait_for_url(re.compile(r".*/register/[\w-]+$"))
    resend = page.get_by_role("button", name="Invia di nuovo l'SMS")
    assert "resend" in (await resend.get_attribute("class") or "")

    await page.get_by_label("Codice di verifica").fill(await code_sent_to(live_server, number))
    await page.get_by_label("Scegli una password (da 12 a 128 caratteri)").fill(PASSWORD)
    await page.get_by_label("Ripeti la password").fill(PASSWORD)
    await page.get_by_role("button", name="Completa la registrazione").click()
    await page.wait_for_url("**/home")
    assert number in await page.locator("main").inner_text()

    await sign_out(page)
    await sign_in(page, live_server, number, PASSWORD)
    await page.wait_for_url("**/home")
    await sign_out(page)
    await page.goto(live_server + "/home")
    await page.wait_for_url("**/login?next=/home")
