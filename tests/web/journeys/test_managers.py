"""Company managers (R-A5, R-A11): a user admin creates a telco manager, who activates the
profile from the e-mail's link and code, chooses a password and can see the managers but
not manage them; the user admin reads the activity log and removes the manager."""

import re

import pytest
from playwright.async_api import expect

from tests.factories import make_user, make_world
from tests.web.journeys.steps import Journey, latest_message

pytestmark = pytest.mark.browser
MARCO_PASSWORD = "Marco-sceglie-la-sua-1"
TELCO_MANAGER = {"it": "Telco Manager", "en": "Telco Manager"}


async def test_managers(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    await make_user(
        session, world, profile="user_admin", username="laura", email="laura@example.it"
    )
    j = journey

    await j.sign_in("laura")
    await j.wait_for("/home")
    await j.menu_link("Company managers", "/managers")
    await j.sees_heading("Company managers")
    create = j.page.get_by_role("region", name=j.t("Create a Telco Manager"))
    await create.get_by_label(j.t("Username"), exact=True).fill("marco")
    await create.get_by_label(j.t("E-mail"), exact=True).fill("marco@example.it")
    await expect(create.get_by_label(j.t("Language of the e-mails"))).to_have_value(j.lang)
    await j.shot("create")
    await create.get_by_role("button", name=j.t("Create and send the activation e-mail")).click()
    await j.wait_for(r"/managers\?created=\d+")
    await expect(j.status()).to_have_text(
        j.t(
            "%(username)s was created. We sent an activation e-mail to %(email)s: with the code "
            "in it they choose their own password.",
            username="marco",
            email="marco@example.it",
        )
    )
    marco_row = j.page.get_by_role("row", name=re.compile(r"^marco "))
    await expect(marco_row).to_contain_text(j.t("Waiting for activation"))
    await j.shot("created")

    email = await latest_message(j.base_url, "marco@example.it")
    path = re.search(r"/managers/activate/[\w-]+", email)
    code = re.search(r"\b(\d{6})\b", email)
    assert path and code, email
    marco = await j.companion("marco")
    await marco.goto(path.group(0))
    await marco.sees_heading("Activate your profile")
    await expect(marco.button("Didn't get the code? Send it again")).to_be_visible()
    await marco.field("Code from the e-mail").fill(code.group(1))
    await marco.field("Choose a password (12 to 128 characters)").fill(MARCO_PASSWORD)
    await marco.field("Repeat the password").fill(MARCO_PASSWORD)
    await marco.shot("activate")
    await marco.button("Activate the profile").click()
    await marco.wait_for("/home")
    await marco.sees(
        marco.t(
            "Signed in as %(username)s (%(profile)s).",
            username="marco",
            profile=TELCO_MANAGER[j.lang],
        )
    )
    await marco.shot("home")
    await marco.menu_link("Company managers", "/managers")
    await expect(marco.page.get_by_role("row", name=re.compile(r"^laura "))).to_be_visible()
    await expect(
        marco.page.get_by_role("region", name=j.t("Create a Telco Manager"))
    ).to_have_count(0)
    await marco.shot("managers")

    await j.page.reload()
    await expect(marco_row).to_contain_text(j.t("Active"))
    await j.menu_link("Activity log", "/audit-log")
    await j.sees_heading("Activity log")
    await expect(j.page.get_by_role("row", name=re.compile("marco")).first).to_be_visible()
    await j.shot("activity-log")

    await j.menu_link("Company managers", "/managers")
    await marco_row.get_by_role("link", name=f"{j.t('Remove')} marco").click()
    await j.wait_for(r"/managers/\d+/remove")
    await j.sees_heading("Remove %(username)s?", username="marco")
    await j.shot("remove")
    await j.button("Yes, remove %(username)s", username="marco").click()
    await expect(j.status()).to_have_text(
        j.t("The manager was removed: they can no longer sign in.")
    )
    await expect(marco_row).to_have_count(0)
    await j.shot("removed")
