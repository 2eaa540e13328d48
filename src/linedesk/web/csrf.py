"""CSRF for forms: a double-submit cookie, and the typed dependency that checks a post."""

import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from linedesk.errors import Forbidden

CSRF_COOKIE = "__Host-linedesk-csrf"
CSRF_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token (double-submit cookie), made on first use."""
    token = getattr(request.state, "csrf_token", None) or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf_token = token
    return str(token)


def remember_csrf(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            CSRF_COOKIE,
            request.state.csrf_token,
            secure=True,
            httponly=True,
            samesite="strict",
            path="/",
        )


async def check_csrf(request: Request) -> None:
    """Every form post carries the token of its page; a post without it is refused."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden(
            "The form has expired or did not come from this site: reload the page and try again",
            code="csrf_failed",
        )


CsrfChecked = Annotated[None, Depends(check_csrf)]
