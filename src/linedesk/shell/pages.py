"""Pages of the web shell: the landing page, and what makes the site an installable app that
opens offline (SPEC R-W2): the manifest, the service worker, the offline page."""

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from linedesk.identity.web_auth import Visitor
from linedesk.kit.i18n import Localizer
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
THEME_COLOR = "#0b5cab"  # app.css --brand
BACKGROUND_COLOR = "#f6f7f9"  # app.css --bg
# The pages an installed app is most often opened on (check the routes when they move).
SHORTCUTS = (
    ("Usage detail", "/usage"),
    ("Invoices", "/invoices"),
    ("Notifications", "/notifications"),
    ("Extended widget", "/widget/extended"),
)


@router.get("/")
async def landing(request: Request, visitor: Visitor) -> Response:
    if visitor is not None:
        return redirect("/home")
    return render(
        request,
        "home/landing.html",
        sample_amount=Decimal("1234.56"),
        sample_date=date(2026, 10, 1),
    )


def _icon(name: str, sizes: str, purpose: str = "any", kind: str = "image/png") -> dict[str, str]:
    return {"src": f"/static/icons/{name}", "sizes": sizes, "type": kind, "purpose": purpose}


def manifest(lang: str) -> dict[str, Any]:
    """The web app manifest, its texts in the site's default language."""
    l10n = Localizer(lang)
    return {
        "id": "/",
        "name": "linedesk",
        "short_name": "linedesk",
        "lang": lang,
        "description": l10n.gettext("linedesk — self-care for business lines"),
        "start_url": "/home",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            _icon("icon-192.png", "192x192"),
            _icon("icon-512.png", "512x512"),
            _icon("icon-maskable-512.png", "512x512", purpose="maskable"),
            _icon("icon.svg", "any", kind="image/svg+xml"),
        ],
        "shortcuts": [
            {"name": l10n.gettext(name), "url": url, "icons": [_icon("shortcut-96.png", "96x96")]}
            for name, url in SHORTCUTS
        ],
    }


ROBOTS = "User-agent: *\nAllow: /\nDisallow: /api/\nDisallow: /dev/\n"


@router.get("/robots.txt")
async def robots() -> Response:
    """Crawlers may read the public pages; the API and development pages are not for them."""
    return Response(ROBOTS, media_type="text/plain")


@router.get("/manifest.webmanifest")
async def web_app_manifest(request: Request) -> Response:
    return JSONResponse(
        manifest(request.app.state.settings.default_language),
        media_type="application/manifest+json",
    )


def static_version() -> str:
    """Changes whenever a static file does: the service worker's cache is named after it, so
    a new app.css reaches installed apps (and the old cache is dropped)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(
                f"{path.relative_to(STATIC_DIR)}:{stat.st_size}:{stat.st_mtime_ns};".encode()
            )
    return digest.hexdigest()[:12]


@router.get("/favicon.ico")
def favicon() -> Response:  # sync: reads a file
    """Browsers and crawlers ask for /favicon.ico whatever the page's <link rel="icon">."""
    return Response(
        (STATIC_DIR / "icons" / "favicon-32.png").read_bytes(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=604800"},
    )


@router.get("/sw.js")
def service_worker() -> Response:  # sync: reads files, so FastAPI runs it in a thread
    """Served from the root so that it may control every page (scope "/"); never stale."""
    script = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    return Response(
        script.replace("__STATIC_VERSION__", static_version()),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/offline")
async def offline(request: Request) -> Response:
    """What the service worker shows, without a connection, for any page but home and the
    widgets. No personal data: it is kept in the cache and shown to whoever opens the app."""
    return render(request, "home/offline.html")
