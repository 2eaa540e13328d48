"""In a real browser: an employee's home, usage detail and both widgets, Italian and English."""

from datetime import date

import pytest

from linedesk.usage.models import UsageType
from tests.dashboard.usage_rows import counter, day
from tests.factories import make_user, make_world
from tests.web.journeys import sign_in

pytestmark = pytest.mark.browser
GB = 1_000_000_000
TEXTS = {
    "it": {"used": "12,00 GB su 50,00 GB", "credit": "Credito", "detail": "Dettaglio consumi",
           "chart": "Dati al giorno", "table": "Mostra come tabella", "day": "2,00 GB",
           "updated": "Aggiornato alle", "settings": "Impostazioni del widget"},
    "en": {"used": "12.00 GB of 50.00 GB", "credit": "Credit", "detail": "Usage detail",
           "chart": "Data per day", "table": "Show as a table", "day": "2.00 GB",
           "updated": "Updated at", "settings": "Widget settings"},
}


@pytest.mark.parametrize("lang", ["it", "en"])
async def test_home_usage_detail_and_widgets(live_server, page, session, lang):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    mine, text = world["numbers"][0], TEXTS[lang]
    await counter(session, mine, data=12 * GB, sms=3, charges="2.5")
    await day(session, mine, date(2026, 11, 2), UsageType.data, 2 * GB)

    await sign_in(page, live_server, mine)
    await page.goto(f"{live_server}/home?lang={lang}")
    assert await page.locator("html").get_attribute("lang") == lang
    assert await page.get_by_text(text["used"]).is_visible()
    assert await page.locator("meter").first.get_attribute("value") == str(12 * GB)
    assert await page.get_by_role("heading", name=text["credit"]).is_visible()
    assert await page.get_by_text(text["updated"]).is_visible()

    await page.get_by_role("link", name=text["detail"]).click()
    await page.wait_for_url("**/usage*")
    chart = page.get_by_role("img", name=text["chart"])
    assert await chart.is_visible()
    await page.get_by_text(text["table"]).click()
    assert await page.get_by_role("cell", name=text["day"]).is_visible()

    for variant in ("light", "extended"):
        await page.set_viewport_size({"width": 160, "height": 600})
        await page.goto(f"{live_server}/widget/{variant}")
        assert await page.get_by_text(text["used"]).is_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 160, f"{variant} widget overflows: {width}px"
        settings_link = page.get_by_role("link", name=text["settings"])
        assert await settings_link.count() == (1 if variant == "extended" else 0)
    await page.set_viewport_size({"width": 1024, "height": 768})
