"""Registering (R-A3, R-A4): an employee with the code by SMS; an employee whose SIM is
data-only, with the SIM's PUK and the code by e-mail; a company's user admin on the portal."""

import pytest
from playwright.async_api import expect

from tests.billing.conftest import add_line
from tests.factories import make_world
from tests.web.journeys.steps import Journey, latest_code

pytestmark = pytest.mark.browser
CHOSEN = "Una-password-lunga-42"
EMPLOYEE = {"it": "Dipendente", "en": "Employee"}
USER_ADMIN = {"it": "User Admin", "en": "User Admin"}


async def _choose_password(j: Journey, code: str) -> None:
    await j.field("Verification code").fill(code)
    await j.field("Choose a password (12 to 128 characters)").fill(CHOSEN)
    await j.field("Repeat the password").fill(CHOSEN)


async def test_registration(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    number, j = world["numbers"][0], journey

    await j.goto("/login")
    await j.link("Register").click()
    await j.wait_for("/register")
    await j.sees_heading("Register")
    await expect(j.field("My SIM is data-only")).not_to_be_checked()
    await j.shot("start")
    await j.field("Mobile number").fill(number[3:])  # as people type it, without +39
    await j.button("Send the code").click()
    await j.wait_for(r"/register/[\w-]+")
    await j.sees(j.t("We sent a 6-digit verification code by SMS. It is valid for 10 minutes."))
    await expect(j.button("Send the SMS again")).to_be_visible()
    await j.shot("code")

    await _choose_password(j, await latest_code(j.base_url, number))
    await j.button("Complete registration").click()
    await j.wait_for("/home")
    await j.sees(
        j.t("Signed in as %(username)s (%(profile)s).", username=number, profile=EMPLOYEE[j.lang])
    )
    await j.shot("home")

    await j.sign_out()
    await j.sign_in(number, CHOSEN)
    await j.wait_for("/home")
    await j.sign_out()


async def test_data_only_registration(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=0)
    number = await add_line(
        session, world["account"], world["offer"], data_only=True, puk="12345678"
    )
    await session.commit()
    j, email = journey, "giulia.rossi@example.it"

    await j.goto("/register")
    await j.field("Mobile number").fill(number)
    await j.field("My SIM is data-only").check()
    await j.field("PUK of the SIM (8 digits)").fill("87654321")
    await j.field("E-mail address for the code").fill(email)
    await j.button("Send the code").click()
    await expect(j.alert()).to_contain_text(j.t("The PUK is wrong"))
    await expect(j.field("My SIM is data-only")).to_be_checked()
    await j.shot("wrong-puk")

    await j.field("PUK of the SIM (8 digits)").fill("12345678")
    await j.button("Send the code").click()
    await j.wait_for(r"/register/[\w-]+")
    await j.sees(j.t("We sent a 6-digit verification code by e-mail. It is valid for 10 minutes."))
    await expect(j.button("Send the e-mail again")).to_be_visible()
    await j.shot("code-by-email")

    await _choose_password(j, await latest_code(j.base_url, email))
    await j.button("Complete registration").click()
    await j.wait_for("/home")
    await j.sees(
        j.t("Signed in as %(username)s (%(profile)s).", username=number, profile=EMPLOYEE[j.lang])
    )
    await j.shot("home")


async def test_company_registration(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world, j = await make_world(session, lines=1), journey

    await j.goto("/login")
    await j.link("Company managers: register your company").click()
    await j.wait_for("/portal/register")
    await j.sees_heading("Register your company")
    await j.field("VAT number").fill(world["vat"])
    await j.field("Billing account code").fill(world["account"])
    await j.shot("start")
    await j.button("Send the code").click()
    await j.wait_for(r"/portal/register/[\w-]+")
    await j.sees(j.t("We sent a 6-digit verification code by e-mail. It is valid for 10 minutes."))
    await j.shot("code")

    code = await latest_code(j.base_url, "amministrazione@rossi-impianti.it")
    await j.field("Choose a username").fill("laura.rossi")
    await _choose_password(j, code)
    await j.button("Complete registration").click()
    await j.wait_for("/home")
    await j.sees(
        j.t(
            "Signed in as %(username)s (%(profile)s).",
            username="laura.rossi",
            profile=USER_ADMIN[j.lang],
        )
    )
    await expect(
        j.page.get_by_text(j.t("Choose a line of the company to see its counters."))
    ).to_be_visible()
    await j.shot("home")
