"""Line actions in the browser, completed by the embedded provisioning simulator: an employee
blocks a lost SIM from home; a manager replaces it with an eSIM and sees the QR code once;
a manager bars roaming on 3 lines with one CSV; the requests page shows them done. Every
page passes axe-core (WCAG 2.1 AA)."""

import re

import pytest
from playwright.async_api import expect

from tests.factories import make_user, make_world
from tests.web.audit import audit, report
from tests.web.journeys.steps import Journey

pytestmark = pytest.mark.browser
WAIT_MS = 20_000  # the simulator answers after a second; the machine may be busy


async def _clean(j: Journey) -> None:
    violations = await audit(j.page)
    assert not violations, report(violations)


async def _until_done(j: Journey, msisdn: str, count: int = 1) -> None:
    """Reload the requests page until the line's newest `count` requests are done."""
    row = j.page.locator("tr", has_text=msisdn)
    done = row.locator(".badge-done")
    for _ in range(WAIT_MS // 500):
        if await done.count() >= count:
            return
        await j.page.wait_for_timeout(500)
        await j.page.reload()
    await expect(done).to_have_count(count)


async def test_block_replace_with_esim_and_bar_roaming_in_bulk(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=4)
    await make_user(session, world)
    await make_user(session, world, profile="user_admin", username="anna", email="a@example.it")
    lost, *others = world["numbers"]
    j = journey

    # The employee: "Ho perso la SIM" on the home page, the line, the confirmation.
    await j.sign_in(lost)
    await j.wait_for("/home")
    await j.link("I lost my SIM").click()
    await j.wait_for("/lost-sim")
    await _clean(j)
    await j.link("Block %(msisdn)s", msisdn=lost).click()
    await j.sees_heading("Block the SIM of %(msisdn)s?", msisdn=lost)
    await _clean(j)
    await j.shot("block-confirm")
    await j.button("Yes, block the SIM").click()
    await j.wait_for(r"/requests\?asked=\d+")
    await _until_done(j, lost)
    await _clean(j)
    await j.shot("blocked")

    # The manager: the line's page, an eSIM, its QR code once.
    manager = await j.companion("manager")
    await manager.sign_in("anna")
    await manager.wait_for("/home")
    await manager.goto(f"/lines/{lost}/actions")
    await _clean(manager)
    await manager.link("Replace the SIM (physical or eSIM)").click()
    await manager.sees_heading("Replace the SIM of %(msisdn)s?", msisdn=lost)
    await manager.button("Yes, replace the SIM").click()
    await manager.wait_for(r"/requests\?asked=\d+")
    show = manager.button("Show the eSIM QR code (once)")
    for _ in range(WAIT_MS // 500):
        if await show.count():
            break
        await manager.page.wait_for_timeout(500)
        await manager.page.reload()
    await show.first.click()
    await manager.sees_heading("eSIM for %(msisdn)s", msisdn=lost)
    await expect(
        manager.page.get_by_role("img", name=manager.t("QR code of the eSIM activation code"))
    ).to_be_visible()
    await expect(manager.page.locator("#activation-code")).to_have_text(re.compile(r"^LPA:1\$"))
    await _clean(manager)
    await manager.shot("esim-qr")

    # The manager: roaming off on 3 lines with one file; the requests page shows them done.
    await manager.goto("/line-actions")
    await _clean(manager)
    csv = "msisdn,action,value\n" + "".join(f"{n},roaming,off\n" for n in others)
    await manager.field("CSV file").set_input_files(
        {"name": "roaming.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    await manager.button("Check and send").click()
    await manager.wait_for(r"/requests\?asked=\d+")
    for number in others:
        await _until_done(manager, number)
    await expect(manager.page.locator(".badge-failed")).to_have_count(0)
    await _clean(manager)
    await manager.shot("requests-done")
