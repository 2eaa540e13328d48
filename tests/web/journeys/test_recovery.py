"""Password recovery (R-A6): the code by SMS, the generated password shown once beside a
sign-in form; one explicit sign-in with it, then the user's own password chosen right away;
the generated one no longer signs in."""

import pytest
from playwright.async_api import expect

from tests.factories import make_user, make_world
from tests.web.journeys.steps import Journey, latest_code

pytestmark = pytest.mark.browser
OWN = "Il-mio-nuovo-segreto-77"


async def test_recovery(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    await make_user(session, world)
    number, j = world["numbers"][0], journey

    await j.goto("/login")
    await j.link("Recover password").click()
    await j.wait_for("/recover")
    await j.sees_heading("Recover password")
    await j.field("Username (for employees: your mobile number)").fill(number)
    await j.shot("start")
    await j.button("Send the code").click()
    await j.wait_for(r"/recover/[\w-]+")
    await expect(j.button("Send the SMS again")).to_be_visible()
    await j.shot("code")
    await j.field("Verification code").fill(await latest_code(j.base_url, number))
    await j.button("Confirm the code").click()

    await j.sees_heading("Recover password")
    generated = await j.page.locator("code.generated").inner_text()
    assert len(generated) >= 16
    await expect(j.status()).to_contain_text(j.t("Your new password, shown only now:"))
    await j.shot("generated-password")
    await j.field("Password").fill(generated)  # the explicit sign-in, once
    await j.button("Sign in").click()
    await j.wait_for("/account/password")
    await j.sees_heading("Change password")
    await expect(j.status()).to_have_text(
        j.t("You signed in with a generated password: choose your own to continue.")
    )
    assert generated not in await j.page.content()

    await j.field("New password (12 to 128 characters)").fill(OWN)
    await j.field("Repeat the new password").fill(OWN)
    await j.button("Save the new password").click()
    await expect(j.status()).to_have_text(
        j.t("Your password was changed. Your other sessions were signed out.")
    )
    await j.shot("changed")
    await j.sign_out()

    await j.sign_in(number, generated)
    await expect(j.alert()).to_be_visible()  # used up
    await j.sign_in(number, OWN)
    await j.wait_for("/home")
