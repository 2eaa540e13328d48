"""Security headers: a Content-Security-Policy on every response (pages: this site only, no
inline code, never framed but for the two widget pages), nosniff, Referrer-Policy, HSTS in
production; /metrics and the API's description only where a setting serves them."""

from collections.abc import AsyncIterator

import httpx
import pytest

from linedesk.app import create_app
from linedesk.config import Settings
from tests.conftest import TEST_SECRET
from tests.factories import make_user, make_world
from tests.identity.test_web_sessions import HTML, sign_in_web
from tests.web.test_accessibility_browser import html_pages

WIDGETS = {"/widget/light", "/widget/extended"}
PAGE_DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
}


def policy(response: httpx.Response) -> set[str]:
    return {part.strip() for part in response.headers["content-security-policy"].split(";")}


def assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "unsafe-eval" not in response.headers["content-security-policy"]


def page_paths(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every page without a path parameter (pages with one are reached by the browser
    audit; they go through the same middleware)."""
    return sorted(path for path in html_pages(app) if "{" not in path)


async def test_the_sign_in_page_cannot_be_framed_by_another_site(client):
    page = await client.get("/login", headers=HTML)
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in policy(page)
    assert page.headers["x-frame-options"] == "DENY"
    assert policy(page) >= PAGE_DIRECTIVES
    assert_common(page)
    assert "strict-transport-security" not in page.headers  # development: plain HTTP


async def test_every_page_is_never_framed_but_the_two_widgets(client, app, session):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    assert (await sign_in_web(client, world["numbers"][0])).status_code == 303
    paths = page_paths(app)
    assert set(paths) >= WIDGETS and "/login" in paths and "/home" in paths
    for path in paths:
        response = await client.get(path, headers=HTML)
        assert response.status_code < 500, path
        assert_common(response)
        if path in WIDGETS:
            assert "frame-ancestors *" in policy(response), path
            assert policy(response) >= PAGE_DIRECTIVES, path
            assert "x-frame-options" not in response.headers
        else:
            assert "frame-ancestors 'none'" in policy(response), path
            assert response.headers["x-frame-options"] == "DENY", path
        if response.headers.get("content-type", "").startswith("text/html"):
            assert policy(response) >= PAGE_DIRECTIVES, path


async def test_api_responses_static_files_and_errors_carry_the_headers(client):
    for path in ("/api/v1/me", "/healthz", "/static/app.css", "/sw.js", "/no-such-page"):
        response = await client.get(path)
        assert_common(response)
        assert "frame-ancestors 'none'" in policy(response), path


@pytest.fixture
async def production(engine) -> AsyncIterator:  # type: ignore[type-arg]
    """A production app, for what does not reach its (unused) database and Redis."""

    async def make(**overrides: object) -> httpx.AsyncClient:
        settings = Settings(
            _env_file=None,
            env="production",
            secret_key=TEST_SECRET,
            database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
            redis_url="redis://127.0.0.1:1/0",
            log_level="WARNING",
            **overrides,
        )  # type: ignore[arg-type]
        app = create_app(settings)
        apps.append(app)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        )

    apps: list = []  # type: ignore[type-arg]
    yield make
    for app in apps:
        await app.state.limiter.close()
        await app.state.engine.dispose()


async def test_production_sends_hsts(production):
    async with await production() as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert_common(response)


async def test_metrics_and_api_docs_are_not_served_in_production_by_default(production):
    async with await production() as client:
        for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "not_found"
    async with await production(serve_metrics=True, serve_api_docs=True) as client:
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200 and "linedesk_http_requests_total" in metrics.text
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 200, path


async def test_development_serves_metrics_and_api_docs_unless_turned_off(client, settings):
    for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
        assert (await client.get(path)).status_code == 200, path
    app = create_app(settings.model_copy(update={"serve_metrics": False, "serve_api_docs": False}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as off:
        for path in ("/metrics", "/docs", "/openapi.json"):
            assert (await off.get(path)).status_code == 404, path
    await app.state.limiter.close()
    await app.state.engine.dispose()


async def test_the_api_description_pages_may_load_what_fastapi_gives_them(client):
    """Swagger UI and ReDoc come from their CDN with inline code; nothing else may."""
    import inspect

    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    urls = [
        parameter.default
        for function in (get_swagger_ui_html, get_redoc_html)
        for parameter in inspect.signature(function).parameters.values()
        if str(parameter.default).startswith("https://")
    ]
    assert urls
    for path in ("/docs", "/redoc"):
        response = await client.get(path)
        assert response.status_code == 200
        assert "frame-ancestors 'none'" in policy(response)
        for url in urls:
            origin = "/".join(url.split("/")[:3])
            assert origin in response.headers["content-security-policy"], (path, origin)
