"""Signing in and out (R-A1, R-A2): the password form, a wrong password, the automatic
sign-in that explains why it cannot work off the mobile network, and its simulator."""

import pytest
from playwright.async_api import expect

from tests.factories import make_user, make_world
from tests.web.journeys.steps import PASSWORD, Journey

pytestmark = pytest.mark.browser
EMPLOYEE = {"it": "Dipendente", "en": "Employee"}
OFF_THE_NETWORK = (
    "Automatic sign-in works only when you browse on the operator's mobile "
    "network (or through a hotspot of one of its business SIMs), not on Wi-Fi "
    "or other networks. Sign in with your username and password."
)


async def test_sign_in_and_out(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    await make_user(session, world)
    number, j = world["numbers"][0], journey

    await j.goto("/home")
    await j.wait_for(r"/login\?next=/home")
    await j.sees_heading("Sign in")
    await expect(j.page.get_by_text(j.t(OFF_THE_NETWORK))).to_be_visible()
    await j.shot("sign-in")

    await j.sign_in(number, "Not-my-password-at-all")
    await expect(j.alert()).to_have_text(j.t("Wrong username or password"))
    await expect(j.field("Username (for employees: your mobile number)")).to_have_value(number)
    await j.shot("wrong-password")

    await j.field("Password").fill(PASSWORD)
    await j.button("Sign in").click()
    await j.wait_for("/home")
    await j.sees_heading("Hello, %(name)s", name="Giulia")  # the holder's first name
    await j.sees(
        j.t("Signed in as %(username)s (%(profile)s).", username=number, profile=EMPLOYEE[j.lang])
    )
    await j.shot("home")

    await j.sign_out()
    await j.sees_heading("Sign in")
    await j.shot("signed-out")
    await j.goto("/home")
    await j.wait_for(r"/login\?next=/home")


async def test_autologin_simulator(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    number, j = world["numbers"][0], journey

    await j.goto("/login")
    simulator = j.page.get_by_role("region", name=j.t("Development: autologin simulator"))
    await expect(simulator).to_be_visible()
    await simulator.get_by_label(j.t("Mobile number"), exact=True).fill(number)
    await j.shot("simulator")
    await simulator.get_by_role("button", name=j.t("Simulate automatic sign-in")).click()
    await j.wait_for("/home")
    await j.sees(
        j.t("Signed in as %(username)s (%(profile)s).", username=number, profile=EMPLOYEE[j.lang])
    )
    await j.shot("home")
    await j.sign_out()
