"""The one Jinja2 environment and the render helper every page uses."""

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from linedesk.errors import LinedeskError
from linedesk.kit.i18n import LANG_COOKIE, Localizer, grouped_number, pick_language
from linedesk.web.csrf import csrf_token, remember_csrf

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.filters["phone"] = grouped_number


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page in the visitor's language, with their CSRF token and (if signed in) their
    menu: lines for the switcher, and the links of their profile."""
    settings = request.app.state.settings
    lang = pick_language(request, settings.default_language)
    l10n = Localizer(lang)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "l10n": l10n,
            "_": l10n.gettext,
            "pgettext": l10n.pgettext,
            "lang": lang,
            "csrf_token": csrf_token(request),
            "principal": getattr(request.state, "principal", None),
            "menu": getattr(request.state, "menu", None),
            "settings": settings,
            **context,
        },
        status_code=status_code,
    )
    remember_csrf(request, response)
    error = context.get("error")
    if isinstance(error, LinedeskError) and error.headers:  # e.g. Retry-After of a 429 or 503
        response.headers.update(error.headers)
    if request.query_params.get("lang") == lang:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 86400,
            samesite="lax",
            secure=settings.is_production,
            httponly=True,
        )
    response.headers["Content-Language"] = lang
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
