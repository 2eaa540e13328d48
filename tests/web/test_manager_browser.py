"""In a real browser, in Italian and in English: a manager signs in, opens the invoices,
downloads a PDF, shares it by e-mail, then opens the spending chart and the company data."""

import pytest

from tests.invoices.conftest import ADMIN, InvoiceWorld
from tests.web.journeys import sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "it": {"menu": "Fatture", "download": "Scarica il PDF", "email": "Inviala per e-mail a",
           "send": "Invia il PDF per e-mail", "sent": "La fattura sta per essere inviata a",
           "spending": "Spesa", "company": "Dati aziendali", "invoice": "Fattura"},
    "en": {"menu": "Invoices", "download": "Download the PDF", "email": "Send it by e-mail to",
           "send": "Send the PDF by e-mail", "sent": "The invoice is on its way to",
           "spending": "Spending", "company": "Company data", "invoice": "Invoice"},
}


async def _open_menu(page) -> None:  # type: ignore[no-untyped-def]
    await page.locator(".avatar-menu summary").click()


@pytest.mark.parametrize("lang", ["it", "en"])
async def test_invoices_share_spending_and_company_data(live_server, page, invoice_world,
                                                         lang):
    world: InvoiceWorld = invoice_world
    words = WORDS[lang]
    await sign_in(page, live_server, ADMIN)
    if lang == "en":
        await page.goto(live_server + "/home?lang=en")

    await _open_menu(page)
    await page.get_by_role("link", name=words["menu"], exact=True).click()
    await page.wait_for_url("**/invoices")
    await page.locator("table a[href^='/invoices/']").first.click()
    heading = await page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith(words["invoice"] + " 2026/")
    number = heading.split(" ", 1)[1]

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=words["download"]).click()
    download = await download_info.value
    assert download.suggested_filename == f"fattura-{number.replace('/', '-')}.pdf"
    assert (await download.path()).read_bytes().startswith(b"%PDF")

    await page.get_by_label(words["email"]).fill("commercialista@example.it")
    await page.get_by_role("button", name=words["send"]).click()
    status = await page.get_by_role("status").inner_text()
    assert status.startswith(words["sent"]) and "commercialista@example.it" in status

    await _open_menu(page)
    await page.get_by_role("link", name=words["spending"], exact=True).click()
    await page.wait_for_url("**/spending")
    assert await page.locator("svg[role=img]").count() == 1
    await _open_menu(page)
    await page.get_by_role("link", name=words["company"], exact=True).click()
    await page.wait_for_url("**/company")
    assert await page.get_by_role("heading", level=1).inner_text() == words["company"]
    assert world.company["vat"] in await page.content()
