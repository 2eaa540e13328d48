"""In a real browser: the landing page in Italian, then in English after the switch."""

import pytest

pytestmark = pytest.mark.browser


async def test_landing_page_in_both_languages(live_server, page):
    await page.goto(live_server + "/")
    assert await page.get_attribute("html", "lang") == "it"
    heading = page.get_by_role("heading", level=1)
    assert await heading.inner_text() == "Le linee della tua azienda, tutte in un posto"

    await page.get_by_role("link", name="English").click()
    await page.wait_for_url("**/?lang=en")
    assert await page.get_attribute("html", "lang") == "en"
    assert await heading.inner_text() == "Your company's lines, all in one place"

    # The choice is remembered on the next visit.
    await page.goto(live_server + "/")
    assert await heading.inner_text() == "Your company's lines, all in one place"
    await page.get_by_role("link", name="Italiano").click()
    await page.wait_for_url("**/?lang=it")
    assert await heading.inner_text() == "Le linee della tua azienda, tutte in un posto"
