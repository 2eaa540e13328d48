"""A live server in a thread and Debian's Chromium driven by Playwright."""

import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn

from linedesk.app import create_app
from tests.invoices.conftest import invoice_world  # noqa: F401 (an invoiced company's data)

CHROMIUM = os.environ.get("LINEDESK_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The app served by uvicorn in a thread, at `url` until `stop()`."""

    def __init__(self, settings, clock) -> None:  # type: ignore[no-untyped-def]
        port = _free_port()
        self.app = create_app(settings, clock=clock)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
        self.url = f"http://127.0.0.1:{port}"
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@pytest.fixture
def live_server(engine, settings, clock) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = LiveServer(settings, clock)
    yield server.url
    server.stop()


@pytest.fixture
def stoppable_server(engine, settings, clock) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Like live_server, for a test that takes the site down midway (the app offline)."""
    server = LiveServer(settings, clock)
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator:  # type: ignore[type-arg]
    """One Chromium for the whole run: every test opens its own contexts on it."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():  # noqa: ASYNC240 (one stat before the browser starts)
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser) -> AsyncIterator:  # type: ignore[no-untyped-def,type-arg]
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    yield page
    await context.close()
