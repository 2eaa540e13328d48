"""CSRF for forms: a double-submit cookie, and the typed dependency that checks a post.

Pages are compressed, so the token a page carries is masked afresh on every render (a random
pad, then the token XOR the pad): the bytes of the secret never repeat from one response to
the next, and its compressed length says nothing of it (BREACH)."""

import base64
import binascii
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
    return _masked(str(token))


def _masked(token: str) -> str:
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(
        pad + bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    ).decode()


def _unmasked(sent: str) -> str | None:
    try:
        both = base64.urlsafe_b64decode(sent.encode())
    except (binascii.Error, ValueError):
        return None
    half = len(both) // 2
    if not half or len(both) % 2:
        return None
    try:
        return bytes(a ^ b for a, b in zip(both[:half], both[half:], strict=True)).decode()
    except UnicodeDecodeError:
        return None


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
    token = _unmasked(sent) if isinstance(sent, str) else None
    expected = request.cookies.get(CSRF_COOKIE)
    if not token or not expected or not secrets.compare_digest(token, expected):
        raise Forbidden(
            "The form has expired or did not come from this site: reload the page and try again",
            code="csrf_failed",
        )


CsrfChecked = Annotated[None, Depends(check_csrf)]
