"""In a real browser: every HTML page of the app, signed out, as an employee and as a manager,
in Italian and in English, at 320 px and at desktop width, has no serious or critical
axe-core finding (WCAG 2.1 AA) and, on the phone, nothing to scroll sideways (R-W2, R-W3)."""

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from fastapi.routing import APIRoute

from linedesk.app import create_app
from linedesk.notifications.service import notify_due_dates
from linedesk.usage.models import UsageType
from tests.conftest import NOW
from tests.dashboard.usage_rows import counter, day, record
from tests.factories import make_user, make_world
from tests.invoices.conftest import ADMIN, InvoiceWorld
from tests.web.audit import assert_no_horizontal_scroll, audit, report
from tests.web.journeys import latest_message, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
LANGUAGES = ("it", "en")

# Every GET route that answers a page, by who sees it. A new page must be added here (the
# first test fails until it is), so that the audit below visits it.
PUBLIC_PAGES = (
    "/",
    "/login",
    "/register",
    "/register/{registration_id}",
    "/portal/register",
    "/portal/register/{registration_id}",
    "/recover",
    "/recover/{recovery_id}",
    "/dev/outbox",
    "/offline",
    "/help",
)
EMPLOYEE_PAGES = (
    "/home",
    "/usage",
    "/widget/light",
    "/widget/extended",
    "/widget/settings",
    "/link-sim",
    "/link-sim/{link_id}",
    "/account/password",
    "/alerts",
    "/lines/{msisdn}/actions",
    "/lines/{msisdn}/actions/{action}",
    "/lines/{msisdn}/offers",
    "/requests",
    "/lost-sim",
)
MANAGER_PAGES = (
    "/home",
    "/usage",
    "/managers",
    "/managers/{manager_id}/remove",
    "/managers/activate/{activation_id}",
    "/audit-log",
    "/invoices",
    "/invoices/{invoice_id}",
    "/account/two-factor",
    "/notifications",
    "/notifications/preferences",
    "/spending",
    "/company",
    "/company/lines",
    "/account/password",
    "/lines/{msisdn}/actions",
    "/lines/{msisdn}/actions/{action}",
    "/lines/{msisdn}/offers",
    "/requests",
    "/line-actions",
)


def _routes(routes, prefix: str = ""):  # type: ignore[no-untyped-def]
    """(path, route) of every API route, also inside included routers."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _routes(nested.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def html_pages(app) -> set[str]:  # type: ignore[no-untyped-def]
    """The app's GET routes that answer HTML: those of the `pages` modules, but for files
    (the service worker, the manifest)."""
    return {
        path
        for path, route in _routes(app.routes)
        if "GET" in route.methods
        and route.endpoint.__module__.endswith("pages")
        and "." not in path.rsplit("/", 1)[-1]
    }


def test_every_html_page_is_in_the_audit(settings):
    pages = html_pages(create_app(settings))
    audited = set(PUBLIC_PAGES) | set(EMPLOYEE_PAGES) | set(MANAGER_PAGES)
    assert pages - audited == set(), "pages the accessibility audit does not visit"
    assert audited - pages == set(), "audited pages the app no longer has"


@dataclass
class Sweep:
    """Audits pages at both widths, collecting every finding so one run shows them all."""

    base_url: str
    problems: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    audits: int = 0

    async def visit(self, page, route: str, lang: str, path: str | None = None) -> None:  # type: ignore[no-untyped-def]
        target = path or route
        separator = "&" if "?" in target else "?"
        response = await page.goto(f"{self.base_url}{target}{separator}lang={lang}")
        assert response is not None
        assert response.headers["content-type"].startswith("text/html"), target
        assert await page.locator("html").get_attribute("lang") == lang, target
        self.visited.add(route)
        await self.check(page, f"{target} [{lang}]")

    async def check(
        self,
        page,
        label: str,  # type: ignore[no-untyped-def]
        sizes: tuple[dict[str, int], ...] = (PHONE, DESKTOP),
    ) -> None:
        """The page as it is now, at phone and at desktop width (a page's other states, such
        as a form sent back with errors, change its content, not its layout: at 320 px)."""
        for size in sizes:
            await page.set_viewport_size(size)
            violations = await audit(page)
            self.audits += 1
            if violations:
                self.problems.append(f"{label} at {size['width']}px: {report(violations)}")
            if size is PHONE:
                try:
                    await assert_no_horizontal_scroll(page)
                except AssertionError as exc:
                    self.problems.append(f"{label}: {exc}")

    def assert_clean(self, expected: tuple[str, ...]) -> None:
        assert self.visited == set(expected)
        assert not self.problems, "\n\n".join(self.problems)


async def _submit(page, url_glob: str | None = None) -> None:  # type: ignore[no-untyped-def]
    await page.locator("main form.form button[type=submit]").first.click()
    if url_glob:
        await page.wait_for_url(url_glob)
    else:
        await page.wait_for_load_state()


async def _assert_tied_to_the_error(page, field: str) -> None:  # type: ignore[no-untyped-def]
    """A screen reader announces the field as invalid, and reads the error with it."""
    locator = page.locator(field)
    assert await locator.get_attribute("aria-invalid") == "true"
    error = await page.get_by_role("alert").inner_text()
    described = await locator.evaluate(
        "e => e.getAttribute('aria-describedby').split(' ')"
        ".map(id => document.getElementById(id).innerText).join(' ')"
    )
    assert described == error


async def test_public_pages(live_server, browser, session):
    world = await make_world(session, lines=2)
    await make_user(session, world)
    employee, unregistered = world["numbers"]
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    sweep = Sweep(live_server)

    # The code steps of the three wizards, reached as a visitor does.
    await page.goto(live_server + "/register")
    await page.locator("#msisdn").fill(unregistered)
    await _submit(page, "**/register/*")
    registration = page.url.removeprefix(live_server)
    await page.goto(live_server + "/portal/register")
    await page.locator("#vat_number").fill(world["vat"])
    await page.locator("#billing_account_code").fill(world["account"])
    await _submit(page, "**/portal/register/*")
    portal = page.url.removeprefix(live_server)
    await page.goto(live_server + "/recover")
    await page.locator("#username").fill(employee)
    await _submit(page, "**/recover/*")
    recovery = page.url.removeprefix(live_server)

    for lang in LANGUAGES:
        for route in (
            "/",
            "/login",
            "/register",
            "/portal/register",
            "/recover",
            "/dev/outbox",
            "/offline",
            "/help",
        ):
            await sweep.visit(page, route, lang)
        await sweep.visit(page, "/help", lang, "/help?q=sim")  # a search's answers
        await sweep.visit(page, "/register/{registration_id}", lang, registration)
        await sweep.visit(page, "/portal/register/{registration_id}", lang, portal)
        await sweep.visit(page, "/recover/{recovery_id}", lang, recovery)
        # An expired link: the error page.
        await sweep.visit(page, "/recover/{recovery_id}", lang, "/recover/no-such-request")
        # Forms sent back with their errors.
        await page.goto(f"{live_server}/login?lang={lang}")
        await page.locator("#username").fill(employee)
        await page.locator("#password").fill("not-the-password")
        await _submit(page)
        await sweep.check(page, f"/login with a wrong password [{lang}]", (PHONE,))
        await _assert_tied_to_the_error(page, "#password")
        await page.goto(f"{live_server}/register?lang={lang}")
        await page.locator("#msisdn").fill("12345")
        await _submit(page)
        await sweep.check(page, f"/register with a wrong number [{lang}]", (PHONE,))
        await _assert_tied_to_the_error(page, "#msisdn")
        await page.goto(f"{live_server}{registration}?lang={lang}")
        await page.locator("#code").fill("000000")
        await page.locator("#password").fill("Una-password-lunga-42")
        await page.locator("#confirm_password").fill("Una-password-lunga-43")
        await _submit(page)
        await sweep.check(page, f"/register/{{id}} with an error [{lang}]", (PHONE,))
    await context.close()
    sweep.assert_clean(PUBLIC_PAGES)


async def test_employee_pages(live_server, browser, session, invoice_world):
    world: InvoiceWorld = invoice_world
    mine, colleague = world.employee, world.company["numbers"][1]
    await counter(session, mine, data=12 * 10**9, voice=3600, sms=3, charges="2.5")
    await day(session, mine, date(2026, 11, 2), UsageType.data, 2 * 10**9)
    await record(
        session,
        mine,
        datetime(2026, 11, 19, 8, tzinfo=NOW.tzinfo),
        UsageType.voice,
        180,
        charge="0.30",
    )
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    sweep = Sweep(live_server)
    await sign_in(page, live_server, mine)
    await page.goto(live_server + "/link-sim")
    await page.locator("#msisdn").fill(colleague)
    await _submit(page, "**/link-sim/*")
    link = page.url.removeprefix(live_server)

    for lang in LANGUAGES:
        for route in ("/home", "/usage"):
            await sweep.visit(page, route, lang)
        await page.locator("details:has(table) > summary").first.click()  # the chart's table
        await sweep.check(page, f"/usage with its table open [{lang}]", (PHONE,))
        for route in (
            "/widget/light",
            "/widget/extended",
            "/widget/settings",
            "/link-sim",
            "/account/password",
            "/alerts",
        ):
            await sweep.visit(page, route, lang)
        await sweep.visit(page, "/link-sim/{link_id}", lang, link)
        await page.locator("#code").fill("000000")
        await _submit(page)
        await sweep.check(page, f"/link-sim/{{id}} with a wrong code [{lang}]", (PHONE,))
        for route in ("/requests", "/lost-sim"):
            await sweep.visit(page, route, lang)
        for route, path in (
            ("/lines/{msisdn}/actions", f"/lines/{mine}/actions"),
            ("/lines/{msisdn}/actions/{action}", f"/lines/{mine}/actions/block"),
            ("/lines/{msisdn}/offers", f"/lines/{mine}/offers"),
        ):
            await sweep.visit(page, route, lang, path)
        await page.goto(f"{live_server}/account/password?lang={lang}")
        await page.locator("#current_password").fill("not-the-password")
        await page.locator("#new_password").fill("Una-password-lunga-42")
        await page.locator("#confirm_password").fill("Una-password-lunga-42")
        await _submit(page)
        await sweep.check(page, f"/account/password with an error [{lang}]", (PHONE,))
        await _assert_tied_to_the_error(page, "#current_password")
        await page.goto(f"{live_server}/home?lang={lang}")
        await page.locator(".avatar-menu summary").click()
        await sweep.check(page, f"/home with the menu open [{lang}]", (PHONE,))
    await context.close()
    sweep.assert_clean(EMPLOYEE_PAGES)


async def test_manager_pages(live_server, browser, session, invoice_world):
    world: InvoiceWorld = invoice_world
    await notify_due_dates(session, NOW)  # the overdue September invoices
    await session.commit()
    line = world.employee
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    sweep = Sweep(live_server)
    await sign_in(page, live_server, ADMIN)
    await page.goto(live_server + "/managers")
    await page.locator("#username").fill("marco")
    await page.locator("#email").fill("marco@example.it")
    await _submit(page, "**/managers?created=*")
    remove = await page.locator("a[href$='/remove']").first.get_attribute("href")
    await page.goto(live_server + "/invoices")
    invoice = await page.locator("table a[href^='/invoices/']").first.get_attribute("href")
    activation = await _activation_path(live_server, "marco@example.it")

    for lang in LANGUAGES:
        for route in (
            "/home",
            "/managers",
            "/audit-log",
            "/invoices",
            "/account/two-factor",
            "/notifications",
            "/notifications/preferences",
            "/spending",
            "/company",
            "/company/lines",
            "/account/password",
        ):
            await sweep.visit(page, route, lang)
        await sweep.visit(page, "/home", lang, f"/home?line={line}")
        await sweep.visit(page, "/usage", lang, f"/usage?line={line}")
        await sweep.visit(page, "/managers/{manager_id}/remove", lang, remove)
        for route in ("/requests", "/line-actions"):
            await sweep.visit(page, route, lang)
        for route, path in (
            ("/lines/{msisdn}/actions", f"/lines/{line}/actions"),
            ("/lines/{msisdn}/actions/{action}", f"/lines/{line}/actions/replace"),
            ("/lines/{msisdn}/actions/{action}", f"/lines/{line}/actions/unblock"),
            ("/lines/{msisdn}/offers", f"/lines/{line}/offers"),
        ):
            await sweep.visit(page, route, lang, path)
        await sweep.visit(page, "/invoices/{invoice_id}", lang, invoice)
        await sweep.visit(page, "/invoices/{invoice_id}", lang, "/invoices/999999")  # error
        for group_by in ("kind", "billing_account", "line"):
            await sweep.visit(page, "/spending", lang, f"/spending?group_by={group_by}")
        await page.goto(f"{live_server}/account/two-factor?lang={lang}")
        await _submit(page)
        await sweep.check(page, f"/account/two-factor with the QR code [{lang}]", (PHONE,))
        await page.goto(f"{live_server}{invoice}?lang={lang}")
        await page.locator("#email").fill("not-an-address@")
        await page.locator("#email").evaluate("e => e.type = 'text'")  # past the browser's check
        await page.get_by_role(
            "button", name="Invia il PDF per e-mail" if lang == "it" else "Send the PDF by e-mail"
        ).click()
        await page.wait_for_load_state()
        await sweep.check(page, f"/invoices/{{id}} with a wrong e-mail [{lang}]", (PHONE,))
        visitor = await browser.new_context(locale="it-IT")
        await sweep.visit(
            await visitor.new_page(), "/managers/activate/{activation_id}", lang, activation
        )
        await visitor.close()
    await context.close()
    sweep.assert_clean(MANAGER_PAGES)


async def _activation_path(base_url: str, recipient: str) -> str:
    """The activation link of the e-mail a new telco manager gets."""
    email = await latest_message(base_url, recipient)
    start = email.index("/managers/activate/")
    return email[start:].split()[0]


# The smallest text the page shows: any visible element with text of its own.
SMALLEST_TEXT = """() => Math.min(...[...document.body.querySelectorAll('*')]
  .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .filter(e => e.getClientRects().length && !e.closest('.visually-hidden, [hidden]'))
  .map(e => parseFloat(getComputedStyle(e).fontSize)))"""


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_light_widget_is_readable_at_160_by_160(live_server, page, session, lang):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    mine = world["numbers"][0]
    await counter(session, mine, data=12 * 10**9, voice=3600, sms=3, charges="2.5")
    await sign_in(page, live_server, mine)
    await page.set_viewport_size({"width": 160, "height": 160})
    await page.goto(f"{live_server}/widget/light?lang={lang}")

    names = {"it": ("Consumi", "Credito", "Offerta"), "en": ("Usage", "Credit", "Offer")}
    for name in names[lang]:
        box = await page.get_by_role("region", name=name).bounding_box()
        assert box is not None, name
        assert box["y"] >= 0 and box["y"] + box["height"] <= 160, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 160, (name, box)
    used = "12,00 GB su 50,00 GB" if lang == "it" else "12.00 GB of 50.00 GB"
    assert await page.get_by_text(used).is_visible()
    assert await page.evaluate(SMALLEST_TEXT) >= 12
    await assert_no_horizontal_scroll(page)


FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  return {
    name: (e.getAttribute('aria-label') || e.innerText || e.id || '').trim(),
    tag: e.tagName.toLowerCase(),
    ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
          || style.boxShadow !== 'none',
  };
}"""


async def _tab(page) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Press Tab; what has the focus now, and whether it shows a focus ring."""
    await page.keyboard.press("Tab")
    return dict(await page.evaluate(FOCUSED))


async def test_keyboard_only_sign_in_and_navigation(live_server, page, session):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    mine = world["numbers"][0]
    await page.set_viewport_size({"width": 360, "height": 720})
    await page.goto(live_server + "/login")

    # Sign in: skip link, brand, the other language, then the form's fields in order.
    order = [
        ("a", "Vai al contenuto"),
        ("a", "linedesk"),
        ("a", "English"),
        ("input", "username"),
        ("input", "password"),
        ("button", "Accedi"),
    ]
    for tag, name in order:
        focused = await _tab(page)
        assert (focused["tag"], focused["name"]) == (tag, name)
        assert focused["ring"], f"no visible focus on {name}"
        if name == "username":
            await page.keyboard.type(mine)
        elif name == "password":
            await page.keyboard.type("Correct-Horse-Battery-9")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/home")

    # Home: "skip to content" takes the focus to the main content…
    focused = await _tab(page)
    assert focused["name"] == "Vai al contenuto" and focused["ring"]
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"

    # …and the navigation is all reachable by Tab: the account menu, then the main sections,
    # in the bar at the bottom of the phone's screen.
    await page.goto(live_server + "/home")
    order = [
        ("a", "Vai al contenuto"),
        ("summary", "Il tuo account e le tue linee"),
        ("a", "linedesk"),
        ("a", "English"),
        ("a", "Home"),
        ("a", "Consumi"),
        ("a", "Associa SIM"),
    ]
    for tag, name in order:
        focused = await _tab(page)
        assert (focused["tag"], focused["name"]) == (tag, name)
        assert focused["ring"], f"no visible focus on {name}"
    bar = await page.get_by_role("navigation", name="Sezioni principali").bounding_box()
    assert bar is not None and bar["y"] + bar["height"] == 720  # at the bottom, by the thumb
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/link-sim")
    assert (
        await page.get_by_role("link", name="Associa SIM").get_attribute("aria-current") == "page"
    )
