"""In a real browser: a user admin creates a telco manager, who activates their profile from
the e-mail's link, chooses a password and lands on the home page (R-A5)."""

import asyncio
import re

import httpx
import pytest

from tests.factories import make_user, make_world
from tests.web.journeys import sign_in

pytestmark = pytest.mark.browser
MARCO_PASSWORD = "Marco-sceglie-la-sua-1"


async def _activation_email(base_url: str, recipient: str, seconds: float = 10.0) -> str:
    """The newest e-mail to `recipient` in the development mailbox (the live server's
    in-process worker delivers it within a second or so)."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(int(seconds / 0.2)):
            messages = (await client.get("/api/v1/dev/outbox", params={"limit": 200})).json()
            mine = [m["text"] for m in messages if m["recipient"] == recipient]
            if mine:
                return str(mine[0])
            await asyncio.sleep(0.2)
    raise AssertionError(f"no e-mail reached {recipient}")


async def test_a_user_admin_creates_a_telco_manager_who_activates_by_email(
        live_server, page, browser, session):
    world = await make_world(session, lines=1)
    await make_user(session, world, profile="user_admin", username="laura",
                    email="laura@example.it")

    await sign_in(page, live_server, "laura")
    await page.goto(live_server + "/managers")
    await page.get_by_label("Nome utente", exact=True).fill("marco")
    await page.get_by_label("E-mail", exact=True).fill("marco@example.it")
    await page.get_by_role("button", name="Crea e invia l’e-mail di attivazione").click()
    status = page.get_by_role("status")
    await status.wait_for()
    assert "marco è stato creato" in await status.inner_text()
    row = page.get_by_role("row", name=re.compile(r"^marco "))
    assert "In attesa di attivazione" in await row.inner_text()

    email = await _activation_email(live_server, "marco@example.it")
    path = re.search(r"/managers/activate/[\w-]+", email)
    code = re.search(r"\b(\d{6})\b", email)
    assert path and code, email
    marco_context = await browser.new_context(locale="it-IT")
    marco = await marco_context.new_page()
    await marco.goto(live_server + path.group(0))
    assert await marco.get_by_role("heading", level=1).inner_text() == "Attiva il tuo profilo"
    assert await marco.locator("button.resend").is_visible()
    await marco.get_by_label("Codice ricevuto via e-mail").fill(code.group(1))
    await marco.get_by_label("Scegli una password").fill(MARCO_PASSWORD)
    await marco.get_by_label("Ripeti la password").fill(MARCO_PASSWORD)
    await marco.get_by_role("button", name="Attiva il profilo").click()
    await marco.wait_for_url("**/home")
    assert "marco" in await marco.locator("main").inner_text()
    await marco_context.close()

    await page.goto(live_server + "/managers")
    row = page.get_by_role("row", name=re.compile(r"^marco "))
    assert "Attivo" in await row.inner_text()
