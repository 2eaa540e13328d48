"""An employee's own area: the counters on the home page, the usage detail, both widgets
and their settings (R-U2, R-U3, R-U5); linking a colleague's SIM and switching to it
(R-A10)."""

from datetime import date

import pytest
from playwright.async_api import expect

from linedesk.kit.i18n import Localizer, grouped_number
from linedesk.usage.models import UsageType
from tests.conftest import NOW
from tests.dashboard.usage_rows import counter, day
from tests.factories import make_user, make_world
from tests.web.journeys.steps import SIZES, Journey, latest_code

pytestmark = pytest.mark.browser
GB = 1_000_000_000
FIGURES = {
    "it": {
        "data": "12,00 GB su 50,00 GB",
        "left": "38,00 GB",
        "credit": "2,50 €",
        "day": "2,00 GB",
    },
    "en": {"data": "12.00 GB of 50.00 GB", "left": "38.00 GB", "credit": "€2.50", "day": "2.00 GB"},
}
WIDGET_WIDTH = 160  # a home-screen widget's web view


async def test_usage_and_widgets(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    await make_user(session, world)
    mine, j = world["numbers"][0], journey
    figures = FIGURES[j.lang]
    await counter(session, mine, data=12 * GB, sms=3, charges="2.5")
    await day(session, mine, date(2026, 11, 2), UsageType.data, 2 * GB)

    await j.sign_in(mine)
    await j.wait_for("/home")
    await j.sees_heading("Hello, %(name)s", name="Giulia")  # the line's holder, Giulia Rossi
    line = j.page.get_by_role("region", name=f"{j.t('Line shown')}: {grouped_number(mine)}")
    await expect(line.get_by_text(figures["data"])).to_be_visible()
    await expect(
        line.get_by_text(j.t("%(remaining)s left", remaining=figures["left"]))
    ).to_be_visible()
    await expect(line.get_by_role("meter").first).to_have_attribute("value", str(12 * GB))
    credit = line.get_by_role("region", name=j.t("Credit"))
    await expect(credit).to_contain_text(figures["credit"])
    await expect(credit).to_contain_text(j.t("Out-of-bundle charges this month"))
    await expect(line.get_by_role("region", name=j.t("Offer"))).to_contain_text("Business Test")
    await expect(line.get_by_text(Localizer(j.lang).updated(NOW))).to_be_visible()
    renews = j.t("Renews on %(day)s", day=Localizer(j.lang).day(date(2026, 12, 1)))
    await expect(line.get_by_role("region", name=j.t("Data"), exact=True)).to_contain_text(renews)
    await j.shot("home")

    await j.link("Usage detail").click()
    await j.wait_for(r"/usage")
    await j.sees_heading("Usage detail")
    await expect(
        j.page.get_by_role("img", name=j.t("%(type)s per day", type=j.t("Data")))
    ).to_be_visible()
    await j.page.get_by_text(j.t("Show as a table")).click()
    await expect(j.page.get_by_role("cell", name=figures["day"])).to_be_visible()
    await j.shot("usage-detail")

    await j.tab("Home", "/home")
    await j.link("Widget settings").click()
    await j.wait_for("/widget/settings")
    await j.sees_heading("Widget settings")
    await j.page.get_by_role("checkbox", name=j.t("Link SIM")).check()
    await j.shot("widget-settings")
    await j.button("Save").click()
    await expect(j.status()).to_have_text(j.t("Widget settings saved."))
    await expect(j.page.get_by_role("checkbox", name=j.t("Link SIM"))).to_be_checked()
    await j.shot("widget-settings-saved")

    await j.page.set_viewport_size({"width": WIDGET_WIDTH, "height": 600})
    for variant, title in (("light", "Light widget"), ("extended", "Extended widget")):
        await j.goto(f"/widget/{variant}")
        await expect(j.page.get_by_role("heading", name=j.t(title))).to_be_attached()
        await expect(j.page.get_by_text(figures["data"])).to_be_visible()
        width = await j.page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDGET_WIDTH, f"the {variant} widget overflows: {width}px"
        quick_links = j.page.get_by_role("navigation", name=j.t("Quick links"))
        await expect(quick_links).to_have_count(1 if variant == "extended" else 0)
        await j.shot(f"widget-{variant}")
    await expect(quick_links.get_by_role("link", name=j.t("Link SIM"))).to_be_visible()
    await expect(quick_links.get_by_role("link", name=j.t("Widget settings"))).to_be_visible()
    await j.page.set_viewport_size(SIZES[j.size]["viewport"])


async def test_link_sim_and_switch_line(journey: Journey, session) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=3)
    await make_user(session, world)
    mine, colleague = world["numbers"][0], world["numbers"][1]
    j = journey

    await j.sign_in(mine)
    await j.wait_for("/home")
    await j.menu_link("Link SIM", "/link-sim")
    await j.sees_heading("Link SIM")
    await expect(j.page.get_by_text(j.t("No linked lines yet."))).to_be_visible()
    await j.field("Mobile number of the line to link").fill(colleague)
    await j.shot("start")
    await j.button("Send the code to that line").click()
    await j.wait_for(r"/link-sim/[\w-]+")
    await j.sees(
        j.t(
            "We sent a code by SMS to %(msisdn)s. Ask its holder for the code and enter it here.",
            msisdn=colleague,
        )
    )
    await j.shot("code")
    await j.field("Verification code").fill(await latest_code(j.base_url, colleague))
    await j.button("Link the line").click()
    await j.wait_for(r"/link-sim\?linked=.*")
    await expect(j.status()).to_have_text(
        j.t("The line %(msisdn)s is now linked.", msisdn=colleague)
    )
    await j.shot("linked")

    await j.tab("Home", "/home")
    menu = await j.open_menu()
    main_line = f"{grouped_number(mine)} · {j.t('main line')}"
    await expect(menu.get_by_role("button", name=main_line)).to_have_attribute(
        "aria-current", "true"
    )
    await j.shot("line-switcher")
    await menu.get_by_role("button", name=grouped_number(colleague), exact=True).click()
    await j.wait_for("/home")
    await expect(j.page.locator("#line-heading")).to_have_text(
        f"{j.t('Line shown')}: {grouped_number(colleague)}"
    )
    await j.shot("switched")

    await j.tab("Link SIM", "/link-sim")
    await j.page.get_by_role("button", name=j.t("Unlink %(msisdn)s", msisdn=colleague)).click()
    await j.wait_for("/link-sim.*")
    await expect(j.page.get_by_text(j.t("No linked lines yet."))).to_be_visible()
    await j.shot("unlinked")
