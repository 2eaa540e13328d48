"""Steps shared by the browser journeys. A journey is one person's way through the web app,
in one language and at one screen size, with a full-page screenshot of every page it shows:
screenshots/<lang>-<size>/<journey>-<NN>-<step>.png (or under LINEDESK_SCREENSHOTS)."""

import asyncio
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from linedesk.kit.i18n import Localizer

PASSWORD = "Correct-Horse-Battery-9"  # the factories' password (tests.factories.make_user)
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = Path(os.environ.get("LINEDESK_SCREENSHOTS") or ROOT / "screenshots")
LOCALES = {"it": "it-IT", "en": "en-GB"}
SIZES: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 1,  # cheap PNGs
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
VARIANTS = [(lang, size) for lang in LOCALES for size in SIZES]


async def new_context(browser: Browser, base_url: str, lang: str, size: str) -> BrowserContext:
    """A fresh browser profile at that size that has already chosen the language."""
    context = await browser.new_context(locale=LOCALES[lang], **SIZES[size])
    await context.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
    return context


@dataclass
class Journey:
    """One person's browser tab in a journey, speaking the journey's language."""

    page: Page
    base_url: str
    lang: str
    size: str
    name: str
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    steps: int = 0

    def t(self, message: str, **params: Any) -> str:
        """What the app says for `message` in the journey's language (its catalogues)."""
        return Localizer(self.lang).gettext(message, **params)

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base_url + path)

    async def wait_for(self, path_pattern: str) -> None:
        await self.page.wait_for_url(re.compile(rf"^{re.escape(self.base_url)}{path_pattern}$"))

    async def shot(self, step: str) -> None:
        """A full-page screenshot of what the user sees now."""
        self.steps += 1
        folder = SCREENSHOTS / f"{self.lang}-{self.size}"
        folder.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(
            path=folder / f"{self.name}-{self.steps:02d}-{step}.png", full_page=True
        )

    async def companion(self, who: str) -> "Journey":
        """Another person in the same journey, in a browser profile of their own."""
        context = await new_context(self.browser, self.base_url, self.lang, self.size)
        self.contexts.append(context)
        return Journey(
            await context.new_page(),
            self.base_url,
            self.lang,
            self.size,
            f"{self.name}-{who}",
            self.browser,
            self.contexts,
        )

    # What the user sees and does, by role and label in the journey's language.
    def heading(self, level: int = 1) -> Locator:
        return self.page.get_by_role("heading", level=level)

    def field(self, label: str) -> Locator:
        return self.page.get_by_label(self.t(label), exact=True)

    def button(self, name: str, **params: Any) -> Locator:
        return self.page.get_by_role("button", name=self.t(name, **params), exact=True)

    def link(self, name: str, **params: Any) -> Locator:
        return self.page.get_by_role("link", name=self.t(name, **params), exact=True)

    def status(self) -> Locator:
        return self.page.get_by_role("status")

    def alert(self) -> Locator:
        return self.page.get_by_role("alert")

    async def sees_heading(self, message: str, **params: Any) -> None:
        await expect(self.heading()).to_have_text(self.t(message, **params))

    async def sees(self, text: str) -> None:
        await expect(self.page.get_by_text(text, exact=False).first).to_be_visible()

    async def open_menu(self) -> Locator:
        """The menu under the avatar: the user's lines and the way to every area."""
        menu = self.page.locator(
            "details", has=self.page.get_by_label(self.t("Your account and lines"), exact=True)
        )
        if await menu.get_attribute("open") is None:
            await menu.get_by_label(self.t("Your account and lines"), exact=True).click()
        await expect(menu.get_by_role("button", name=self.t("Sign out"))).to_be_visible()
        return menu

    async def menu_link(self, name: str, path: str, exact: bool = True) -> None:
        """Opens the menu and follows one of its links (`exact=False`: the link's name
        starts with `name`, e.g. followed by a count)."""
        menu = await self.open_menu()
        link_name = self.t(name) if exact else re.compile("^" + re.escape(self.t(name)))
        await menu.get_by_role("link", name=link_name, exact=exact).click()
        await self.wait_for(path)

    async def tab(self, name: str, path: str) -> None:
        """Follows a link of the main sections' bar (at the bottom of a phone's screen)."""
        tabs = self.page.get_by_role("navigation", name=self.t("Main sections"))
        await tabs.get_by_role("link", name=self.t(name), exact=True).click()
        await self.wait_for(path)
        await expect(tabs.get_by_role("link", name=self.t(name), exact=True)).to_have_attribute(
            "aria-current", "page"
        )

    async def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Fills in the sign-in page and sends it (the caller checks where it lands)."""
        await self.goto("/login")
        await self.field("Username (for employees: your mobile number)").fill(username)
        await self.field("Password").fill(password)
        await self.button("Sign in").click()

    async def sign_out(self) -> None:
        menu = await self.open_menu()
        await menu.get_by_role("button", name=self.t("Sign out"), exact=True).click()
        await self.wait_for("/login")


async def latest_message(
    base_url: str, recipient: str, after: int = 0, wait_seconds: float = 10.0
) -> str:
    """The text of the newest message to `recipient` in the development mailbox, once it
    holds more than `after` of them (the live server's worker delivers within a second)."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    async with httpx.AsyncClient(base_url=base_url) as client:
        while True:
            messages = (await client.get("/api/v1/dev/outbox", params={"limit": 200})).json()
            mine = [m for m in messages if m["recipient"] == recipient]
            if len(mine) > after:
                return str(mine[0]["text"])
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no message reached {recipient}: {mine}")
            await asyncio.sleep(0.1)


async def latest_code(
    base_url: str, recipient: str, after: int = 0, wait_seconds: float = 10.0
) -> str:
    """The 6-digit code of the newest message to `recipient`."""
    text = await latest_message(base_url, recipient, after, wait_seconds)
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


async def sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Signs in on a page of any language and waits for the home page."""
    await page.goto(base_url + "/login")
    lang = await page.get_attribute("html", "lang") or "it"
    t = Localizer(lang).gettext
    await page.get_by_label(t("Username (for employees: your mobile number)")).fill(username)
    await page.get_by_label(t("Password"), exact=True).fill(password)
    await page.get_by_role("button", name=t("Sign in"), exact=True).click()
    await page.wait_for_url("**/home")
