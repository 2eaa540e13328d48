"""In a real browser: linedesk installs as an app, and without a connection it shows the last
known counters with the time they were fetched, and says plainly what needs a connection."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.dashboard.usage_rows import counter
from tests.factories import make_user, make_world
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.journeys import sign_in

pytestmark = pytest.mark.browser
GB = 1_000_000_000
TEXTS = {
    "it": {
        "used": "12,00 GB su 50,00 GB",
        "updated": "Aggiornato il 20/11/2026 alle 10:30",
        "notice": "Sei offline: questi sono gli ultimi consumi noti, scaricati il "
        "20/11/2026 10:30.",
        "offline": "Sei offline",
        "needs": "Questa pagina ha bisogno di una connessione",
        "home": "Vai alla home",
        "install": "Installa l'app",
    },
    "en": {
        "used": "12.00 GB of 50.00 GB",
        "updated": "Updated on 20/11/2026 at 10:30",
        "notice": "You are offline: these are the last known counters, fetched at "
        "20/11/2026 10:30.",
        "offline": "You are offline",
        "needs": "This page needs an Internet connection",
        "home": "Go to the home page",
        "install": "Install the app",
    },
}
KEPT = """async () => {
  const url = new URL(location.href);
  url.searchParams.delete("lang");
  const kept = await (await caches.open("linedesk-pages")).match(url.href);
  return kept && kept.headers.get("Content-Language") === document.documentElement.lang;
}"""


@pytest.fixture
async def app_page(browser, tmp_path) -> AsyncIterator:  # type: ignore[no-untyped-def,type-arg]
    """A page in a normal (not incognito) profile: only there may a site be installed."""
    context = await browser.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        headless=True,
        locale="it-IT",
        args=CHROMIUM_ARGS,
    )
    yield context.pages[0] if context.pages else await context.new_page()
    await context.close()


async def wait_until(page, script: str) -> None:  # type: ignore[no-untyped-def]
    """Poll `script` until it is true, for up to 30 s. (Not page.wait_for_function: it runs
    its script with eval() inside the page, which the pages' Content-Security-Policy refuses.)"""
    for _ in range(600):
        if await page.evaluate(script):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never true: {script}")


async def _controlled(page) -> None:  # type: ignore[no-untyped-def]
    """The service worker is active and answers for the page."""
    await wait_until(page, "navigator.serviceWorker.controller !== null")


async def _kept(page) -> None:  # type: ignore[no-untyped-def]
    """The service worker has stored the page just shown."""
    await wait_until(page, KEPT)


@pytest.mark.parametrize("lang", ["it", "en"])
async def test_installable_with_an_install_button(live_server, app_page, lang):
    await app_page.goto(f"{live_server}/?lang={lang}")
    await _controlled(app_page)
    cdp = await app_page.context.new_cdp_session(app_page)
    assert (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"] == []
    install = app_page.get_by_role("button", name=TEXTS[lang]["install"])
    await install.wait_for(state="visible")


async def test_the_install_button_stays_hidden_where_installing_is_not_offered(live_server, page):
    await page.goto(live_server + "/")
    await _controlled(page)
    cdp = await page.context.new_cdp_session(page)
    errors = (await cdp.send("Page.getInstallabilityErrors"))["installabilityErrors"]
    assert [error["errorId"] for error in errors] == ["in-incognito"]
    assert await page.locator("[data-install-app]").is_hidden()


async def _employee(session) -> str:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=1)
    await make_user(session, world)
    mine = world["numbers"][0]
    await counter(session, mine, data=12 * GB, sms=3, charges="2.5")
    return str(mine)


@pytest.mark.parametrize("lang", ["it", "en"])
async def test_offline_the_home_and_widget_show_the_last_counters(
    stoppable_server, page, session, lang
):
    text, base = TEXTS[lang], stoppable_server.url
    await sign_in(page, base, await _employee(session))
    await _controlled(page)
    home = f"{base}/home?lang={lang}"
    await page.goto(home)
    await _kept(page)
    assert await page.get_by_text(text["used"]).is_visible()
    assert await page.get_by_text(text["notice"]).is_hidden()
    await page.goto(f"{base}/widget/light")
    await _kept(page)

    await asyncio.to_thread(stoppable_server.stop)

    await page.reload()  # the widget
    assert await page.get_by_text(text["notice"]).is_visible()
    assert await page.get_by_text(text["used"]).is_visible()
    await page.goto(home)
    assert await page.get_by_text(text["notice"]).is_visible()
    assert await page.get_by_text(text["used"]).is_visible()
    assert await page.get_by_text(text["updated"]).is_visible()

    await page.get_by_role(
        "link", name="Dettaglio consumi" if lang == "it" else "Usage detail"
    ).click()
    await page.wait_for_url("**/usage")
    assert await page.get_by_role("heading", level=1, name=text["offline"]).is_visible()
    assert await page.get_by_text(text["needs"]).is_visible()
    await page.get_by_role("link", name=text["home"]).click()
    await page.wait_for_url("**/home")
    assert await page.get_by_text(text["notice"]).is_visible()
    assert await page.get_by_text(text["used"]).is_visible()


@pytest.mark.parametrize("leaving", ["sign-out", "session-ended"])
async def test_leaving_forgets_the_kept_counters(stoppable_server, page, session, leaving):
    base = stoppable_server.url
    await sign_in(page, base, await _employee(session))
    await _controlled(page)
    await page.goto(f"{base}/home")
    await _kept(page)

    if leaving == "sign-out":
        await page.locator(".avatar-menu summary").click()
        await page.get_by_role("button", name="Esci").click()
    else:  # the session cookie is gone: home sends to the sign-in page
        await page.context.clear_cookies()
        await page.goto(f"{base}/home")
    await page.wait_for_url("**/login**")
    await wait_until(page, "caches.has('linedesk-pages').then((kept) => !kept)")

    await asyncio.to_thread(stoppable_server.stop)
    await page.goto(f"{base}/home")
    assert await page.get_by_role("heading", level=1, name="Sei offline").is_visible()
    assert await page.get_by_text("12,00 GB").count() == 0
