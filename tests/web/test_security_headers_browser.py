"""In a real browser: the Content-Security-Policy blocks nothing the pages need (their
scripts, the service worker, fetches, SVG charts and QR codes), and another site can frame
the widgets but not the sign-in page."""

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.invoices.conftest import ADMIN, InvoiceWorld
from tests.web.journeys import sign_in

pytestmark = pytest.mark.browser


def _csp_reports(page) -> list[str]:  # type: ignore[no-untyped-def]
    reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            reports.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return reports


async def test_the_policy_blocks_nothing_the_pages_use(live_server, browser, invoice_world):
    world: InvoiceWorld = invoice_world
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    reports = _csp_reports(page)
    await page.goto(live_server + "/login")
    # autologin.js ran (a script file and its fetch): it says autologin is not possible here.
    await page.locator(".autologin-unavailable").wait_for(state="visible")
    await sign_in(page, live_server, world.employee)
    await page.evaluate("navigator.serviceWorker.ready")  # pwa.js registered /sw.js
    for path in ("/home", "/usage", "/widget/extended", "/widget/settings", "/link-sim"):
        await page.goto(live_server + path)
    await context.close()

    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    reports += _csp_reports(page)
    await sign_in(page, live_server, ADMIN)
    await page.goto(live_server + "/invoices")
    invoice = await page.locator("table a[href^='/invoices/']").first.get_attribute("href")
    for path in (invoice, "/spending", "/company/lines", "/managers"):
        await page.goto(f"{live_server}{path}")
    await page.goto(live_server + "/account/two-factor")
    await page.locator("main form.form button[type=submit]").first.click()
    await page.locator(".qr svg").wait_for()
    await context.close()
    assert reports == []


class _Embedder(BaseHTTPRequestHandler):
    """Another site: its page /embed?src=URL frames URL."""

    def do_GET(self) -> None:
        src = html.escape(parse_qs(urlsplit(self.path).query)["src"][0])
        body = (
            f"<!doctype html><title>another site</title><iframe name='framed' src='{src}'></iframe>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def other_site() -> Iterator[str]:
    """Another origin (another port), same site, so the session cookie goes with the frames."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Embedder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_another_site_frames_the_widgets_but_not_the_sign_in_page(
    live_server, browser, invoice_world, other_site
):
    world: InvoiceWorld = invoice_world
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()

    async def framed(path: str):  # type: ignore[no-untyped-def]
        await page.goto(f"{other_site}/embed?src={quote(live_server + path)}")
        await page.wait_for_load_state("load")
        frame = page.frame(name="framed")
        assert frame is not None
        return frame

    login = await framed("/login")  # a visitor, not signed in: the sign-in form itself
    assert login.url == "chrome-error://chromewebdata/"  # refused: the browser's error page
    assert await login.locator("#username").count() == 0
    await page.goto(live_server + "/login")  # the same page, not framed, shows its form
    assert await page.locator("#username").count() == 1

    await sign_in(page, live_server, world.employee)
    widget = await framed("/widget/light")
    await widget.locator(".widget-line").wait_for()
    assert await widget.locator(".widget-line").inner_text() == world.employee
    await context.close()
