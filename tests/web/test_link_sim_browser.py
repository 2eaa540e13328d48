"""In a real browser: an employee links a colleague's SIM and switches to it."""

import pytest

from tests.factories import make_user, make_world
from tests.web.journeys import latest_code, sign_in

pytestmark = pytest.mark.browser


async def test_link_a_sim_and_switch_line(live_server, page, session):
    world = await make_world(session, lines=3)
    await make_user(session, world)
    mine, colleague = world["numbers"][0], world["numbers"][1]

    await sign_in(page, live_server, mine)
    await page.get_by_text(mine).first.click()  # the avatar menu
    await page.get_by_role("link", name="Associa SIM").click()
    await page.get_by_label("Numero della linea da associare").fill(colleague)
    await page.get_by_role("button", name="Invia il codice a quella linea").click()
    await page.wait_for_url("**/link-sim/*")
    code = await latest_code(live_server, colleague)
    await page.get_by_label("Codice di verifica").fill(code)
    await page.get_by_role("button", name="Associa la linea").click()
    await page.wait_for_url("**/link-sim?linked=*")
    assert await page.get_by_role("status").inner_text() == \
        f"La linea {colleague} ora è associata."

    await page.goto(live_server + "/home")
    await page.locator(".avatar-menu summary").click()
    await page.get_by_role("button", name=colleague).click()
    await page.wait_for_url("**/home")
    heading = await page.locator("#line-heading").inner_text()
    assert heading.endswith(colleague)
