"""Journeys share one live server (building the app is the slow part of starting one) with
fresh rate limits for each journey, and one browser; each journey gets a fresh browser
profile of its language and screen size, closed at its end."""

from collections.abc import AsyncIterator, Iterator

import pytest

from linedesk.config import Settings
from linedesk.kit.clock import FrozenClock
from linedesk.kit.ratelimit import RateLimiter
from tests.conftest import NOW, TEST_SECRET
from tests.web.conftest import LiveServer
from tests.web.journeys.steps import SCREENSHOTS, VARIANTS, Journey, new_context


@pytest.fixture(scope="session")
def journey_server(
    engine,
    database_url: str,  # type: ignore[no-untyped-def]
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The app as the embedded mode serves it, without the daily jobs (the billing run): a
    journey's company stays as the test made it."""
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("served"),
        secret_key=TEST_SECRET,
        log_level="WARNING",
        scheduler_embedded=False,
        demo_live_usage=False,
    )
    server = LiveServer(settings, FrozenClock(NOW))
    yield server
    server.stop()


@pytest.fixture
def live_server(journey_server: LiveServer) -> str:
    state = journey_server.app.state
    state.limiter = RateLimiter.from_settings(state.settings)  # sends and sign-ins count anew
    return journey_server.url


@pytest.fixture(params=VARIANTS, ids=[f"{lang}-{size}" for lang, size in VARIANTS])
async def journey(
    request: pytest.FixtureRequest,
    browser,
    live_server: str,  # type: ignore[no-untyped-def]
) -> AsyncIterator[Journey]:
    lang, size = request.param
    name = request.node.originalname.removeprefix("test_").replace("_", "-")
    for stale in (SCREENSHOTS / f"{lang}-{size}").glob(f"{name}-[0-9]*.png"):
        stale.unlink()  # of an earlier run, perhaps of steps since renamed
    context = await new_context(browser, live_server, lang, size)
    first = Journey(await context.new_page(), live_server, lang, size, name, browser, [context])
    yield first
    for each in first.contexts:
        await each.close()
