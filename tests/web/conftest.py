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
from tests.invoices.conftest import invoice_world  # noqa: F401 (the manager journey's data)

CHROMIUM = os.environ.get("LINEDESK_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(engine, settings, clock) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    config = uvicorn.Config(create_app(settings, clock=clock), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def browser() -> AsyncIterator:  # type: ignore[type-arg]
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():  # noqa: ASYNC240 (one stat before the browser starts)
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                   args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def page(browser) -> AsyncIterator:  # type: ignore[no-untyped-def,type-arg]
    context = await browser.new_context(locale="it-IT")
    page = await context.new_page()
    yield page
    await context.close()
