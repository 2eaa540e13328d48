"""In a real browser, in Italian: password recovery shows the generated password once, the
user chooses their own right away, then signs in with it."""

import pytest

from tests.factories import make_user, make_world
from tests.web.test_registration_browser import code_sent_to, sign_in, sign_out

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Il-mio-nuovo-segreto-77"


async def test_recover_choose_a_new_password_and_sign_in(live_server, page, session):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    number = world["numbers"][0]

    await page.goto(live_server + "/login")
    await page.get_by_role("link", name="Recupera password").click()
    await page.wait_for_url("**/recover")
    assert await page.get_by_role("heading", level=1).inner_text() == "Recupera password"
    await page.locator("#username").fill(number)
    await page.get_by_role("button", name="Invia il codice").click()
    await page.wait_for_url("**/recover/*")
    assert await page.get_by_role("button", name="Invia di nuovo l'SMS").is_visible()
    await page.get_by_label("Codice di verifica").fill(await code_sent_to(live_server, number))
    await page.get_by_role("button", name="Conferma il codice").click()

    generated = await page.locator("code.generated").inner_text()
    assert len(generated) >= 16
    await page.goto(live_server + "/account/password")  # a later visit…
    assert generated not in await page.content()  # …does not show it again

    await page.locator("#new_password").fill(NEW_PASSWORD)
    await page.locator("#confirm_password").fill(NEW_PASSWORD)
    await page.locator('form[action="/account/password"] button[type="submit"]').click()
    await page.wait_for_selector(".notice[role=status]")
    await sign_out(page)

    await sign_in(page, live_server, number, generated)
    await page.wait_for_selector(".alert[role=alert]")  # used up
    await sign_in(page, live_server, number, NEW_PASSWORD)
    await page.wait_for_url("**/home")
