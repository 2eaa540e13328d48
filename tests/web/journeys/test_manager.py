"""A company's user admin (R-M1, R-M3, R-M4, R-M5): the invoices (list, filter, detail, PDF,
sharing by e-mail), the notification centre and its preferences, the spending trend with
its CSV, the company data with its lines, and the counters of any line of the company."""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.async_api import expect

from linedesk.billing.service import issue_invoices
from linedesk.kit.i18n import Localizer, grouped_number
from linedesk.notifications.service import notify_invoices_issued
from tests.billing.conftest import add_account, add_line, set_charges
from tests.conftest import NOW
from tests.factories import make_user, make_world
from tests.web.journeys.steps import Journey

pytestmark = pytest.mark.browser
SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)
ADMIN = "laura"
MONEY = {"it": r"\d+,\d\d\s€", "en": r"€\d+\.\d\d"}


@dataclass
class Invoiced:
    name: str
    vat: str
    account: str
    second_account: str
    numbers: list[str]


@pytest.fixture
async def invoiced(session) -> Invoiced:  # type: ignore[no-untyped-def]
    """Two billing accounts billed for September and October, after their user admin
    registered: she was told of each new invoice."""
    world = await make_world(session, lines=3)
    second = await add_account(
        session,
        world["vat"],
        payment_method="sepa_direct_debit",
        iban="IT60X0542811101000000123456",
    )
    numbers = [*world["numbers"], await add_line(session, second, world["offer"])]
    await set_charges(session, world["numbers"][0], OCTOBER, "7.456")
    await session.commit()
    await make_user(session, world, profile="user_admin", username=ADMIN, email="laura@example.it")
    for period in (SEPTEMBER, OCTOBER):
        await issue_invoices(session, NOW, period, on_issued=notify_invoices_issued)
    await session.commit()
    return Invoiced("Rossi Impianti S.r.l.", world["vat"], world["account"], second, numbers)


async def test_invoices(journey: Journey, invoiced: Invoiced) -> None:
    j = journey
    await j.sign_in(ADMIN)
    await j.wait_for("/home")
    await j.tab("Invoices", "/invoices")
    await j.sees_heading("Invoices")
    table = j.page.get_by_role("table", name=j.t("Invoices of your company"))
    await expect(table.locator("tbody tr")).to_have_count(4)
    await j.shot("list")

    await j.field("Billing account").select_option(invoiced.second_account)
    await j.button("Filter").click()
    await j.wait_for(r"/invoices\?.*")
    await expect(table.locator("tbody tr")).to_have_count(2)
    await expect(table.locator("tbody tr").first).to_contain_text(invoiced.second_account)
    await j.shot("filtered")

    newest = table.locator("tbody tr").first
    # On a phone too each invoice shows its state (a coloured badge) and total in view.
    await expect(newest.locator("td.amount")).to_be_in_viewport()
    await expect(newest.locator(".status")).to_be_in_viewport()
    await expect(newest.locator(".status")).to_have_text(j.t("To be paid"))
    number = await newest.get_by_role("link").inner_text()
    total = await newest.locator("td.amount").inner_text()
    assert re.fullmatch(MONEY[j.lang], total), total
    await newest.get_by_role("link").click()
    await j.wait_for(r"/invoices/\d+")
    await j.sees_heading("Invoice %(number)s", number=number)
    await expect(j.page.locator("dl.facts strong")).to_have_text(total)
    await j.shot("detail")

    async with j.page.expect_download() as download_info:
        await j.link("Download the PDF").click()
    download = await download_info.value
    assert download.suggested_filename == f"fattura-{number.replace('/', '-')}.pdf"
    assert (await download.path()).read_bytes().startswith(b"%PDF")

    share = j.page.get_by_role("region", name=j.t("Share"))
    await share.get_by_label(j.t("Send it by e-mail to")).fill("commercialista@example.it")
    await share.get_by_role("button", name=j.t("Send the PDF by e-mail")).click()
    await expect(j.status()).to_have_text(
        j.t(
            "The invoice is on its way to %(email)s, with the PDF attached.",
            email="commercialista@example.it",
        )
    )
    await j.shot("shared")


async def test_notifications(journey: Journey, invoiced: Invoiced) -> None:
    j = journey
    await j.sign_in(ADMIN)
    await j.wait_for("/home")
    await j.menu_link("Notifications", "/notifications", exact=False)
    await expect(j.heading()).to_contain_text(j.t("Notifications"))
    await expect(j.heading().get_by_label(j.t("%(count)s unread", count=4))).to_be_visible()
    items = j.page.locator("ul.notifications > li")
    await expect(items).to_have_count(4)
    await expect(items.first).to_contain_text(j.t("New"))
    await expect(items.first).to_contain_text(
        re.compile(re.escape(j.t("New invoice %(number)s", number="")) + r"\d{4}/")
    )
    await j.shot("centre")

    await j.button("Mark all as read").click()
    await j.wait_for("/notifications")
    await expect(j.button("Mark all as read")).to_have_count(0)
    await expect(items.locator(".badge")).to_have_count(0)
    await j.shot("all-read")

    await j.link("Notification preferences").click()
    await j.wait_for("/notifications/preferences")
    await j.sees_heading("Notification preferences")
    due_soon = j.page.get_by_role("group", name=j.t("Due date in 7 days"))
    email = due_soon.get_by_role("checkbox", name=j.t("E-mail"))
    await expect(email).to_be_checked()
    await email.uncheck()
    await j.button("Save").click()
    saved = j.status().filter(has_text=j.t("Your preferences were saved."))
    await expect(saved).to_be_visible()  # beside the push control's own status
    await expect(email).not_to_be_checked()
    await expect(
        j.page.get_by_role("group", name=j.t("New invoice")).get_by_role(
            "checkbox", name=j.t("E-mail")
        )
    ).to_be_checked()
    await j.shot("preferences-saved")


async def test_spending_and_company_data(journey: Journey, invoiced: Invoiced) -> None:
    j = journey
    await j.sign_in(ADMIN)
    await j.wait_for("/home")
    await expect(
        j.page.get_by_text(j.t("Choose a line of the company to see its counters."))
    ).to_be_visible()
    # The company at a glance: what is due next, what is late, this month's estimate.
    await j.sees_heading("Hello, %(name)s", name=ADMIN)
    for label in ("Unread notifications", "Next due date", "Overdue total", "Lines by state"):
        await expect(j.page.get_by_text(j.t(label), exact=True)).to_be_visible()
    await expect(
        j.page.get_by_text(j.t("Estimate for %(month)s", month=Localizer(j.lang).month(NOW.date())))
    ).to_be_visible()
    await expect(j.page.get_by_text(j.t("%(count)s active", count=4))).to_be_visible()
    await j.shot("home")

    await j.tab("Spending", "/spending")
    await j.sees_heading("Spending")
    chart_name = j.t("Spending per month, mobile and fixed")
    await expect(j.page.get_by_role("img", name=re.compile(re.escape(chart_name)))).to_be_visible()
    months = j.page.get_by_role("table", name=j.t("Spending per month"))
    october = Localizer(j.lang).month(OCTOBER)  # "ott 2026", never 2026-10
    await expect(months.get_by_role("row", name=re.compile(rf"^{october} "))).to_contain_text(
        re.compile(MONEY[j.lang])
    )
    await j.shot("trend")
    await j.field("Group by").select_option(j.t("Billing account"))
    await j.button("Show").click()
    await j.wait_for(r"/spending\?.*")
    await expect(
        j.page.get_by_role(
            "heading", name=j.t("Spending by %(group)s", group=j.t("Billing account").lower())
        )
    ).to_be_visible()
    await expect(
        j.page.get_by_role("row", name=re.compile(invoiced.second_account)).first
    ).to_be_visible()
    await j.shot("by-billing-account")
    async with j.page.expect_download() as download_info:
        await j.link("Download as CSV (Excel)").click()
    csv = await download_info.value
    assert csv.suggested_filename.endswith("-billing_account.csv")

    await j.tab("Company", "/company")
    await j.sees_heading("Company data")
    record = j.page.get_by_role("region", name=invoiced.name)
    await expect(record).to_contain_text(invoiced.vat)
    await expect(j.page.get_by_text(j.t("%(count)s lines in all.", count="4"))).to_be_visible()
    await expect(
        j.page.get_by_role("row", name=re.compile(invoiced.second_account))
    ).to_be_visible()
    await j.shot("company")

    await j.link("Search the lines").click()
    await j.wait_for("/company/lines")
    await j.sees_heading("Company lines")
    lines = j.page.get_by_role("table", name=j.t("Company lines"))
    await expect(lines.locator("tbody tr")).to_have_count(4)
    wanted = invoiced.numbers[-1]
    await j.field("Number or holder").fill(wanted[-7:])
    await j.button("Search").click()
    await j.wait_for(r"/company/lines\?.*")
    await expect(lines.locator("tbody tr")).to_have_count(1)
    await j.shot("lines-found")

    await lines.get_by_role("link", name=grouped_number(wanted)).click()
    await j.wait_for(r"/home\?line=.*")
    await expect(j.page.locator("#line-heading")).to_have_text(
        f"{j.t('Line shown')}: {grouped_number(wanted)}"
    )
    await j.shot("line-counters")
