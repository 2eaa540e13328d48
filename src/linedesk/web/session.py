"""Web sessions: the __Host- cookie, CSRF for forms, typed page dependencies (SPEC R-A9)."""

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from linedesk.config import Settings
from linedesk.deps import SessionDep
from linedesk.errors import Forbidden, LinedeskError
from linedesk.identity.auth import AuthContextDep, Principal
from linedesk.identity.models import Profile, SessionKind
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import IssuedSession, authenticate
from linedesk.inventory.models import Line

CSRF_COOKIE = "__Host-linedesk-csrf"
CSRF_FIELD = "csrf_token"
PASSWORD_PAGE = "/account/password"


@dataclass(frozen=True)
class Menu:
    """The avatar menu: the user's lines for the switcher, the one shown now."""

    lines: list[Line]
    active: Line | None


class LoginRequired(Exception):
    """A page for signed-in users was asked for without a session: go to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Signed in with a generated password: nothing but choosing a new one is allowed."""


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
        response.set_cookie(CSRF_COOKIE, request.state.csrf_token, secure=True, httponly=True,
                            samesite="strict", path="/")


async def check_csrf(request: Request) -> None:
    """Every form post carries the token of its page; a post without it is refused."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise Forbidden("The form has expired or did not come from this site: reload the page "
                        "and try again", code="csrf_failed")


def set_session_cookie(response: Response, settings: Settings, issued: IssuedSession) -> None:
    max_age = int((issued.session.expires_at - issued.session.created_at).total_seconds())
    response.set_cookie(settings.session_cookie_name, issued.token, max_age=max_age,
                        secure=True, httponly=True, samesite="lax", path="/")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(settings.session_cookie_name, secure=True, httponly=True,
                           samesite="lax", path="/")


async def settle(session: AsyncSession, exc: LinedeskError) -> None:
    """A page that shows an error instead of raising it keeps what the error must keep (a
    counted try) and undoes the rest, as the request's unit of work would."""
    if not exc.keep_changes:
        session.expunge_all()  # what was read stays readable by the page
        await session.rollback()


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _visitor(request: Request, session: SessionDep,
                   ctx: AuthContextDep) -> Principal | None:
    token = request.cookies.get(ctx.settings.session_cookie_name)
    found = await authenticate(session, ctx, token, SessionKind.web) if token else None
    principal = Principal(user=found[1], session=found[0]) if found else None
    request.state.principal = principal
    return principal


Visitor = Annotated[Principal | None, Depends(_visitor)]


async def _signed_in(request: Request, visitor: Visitor, session: SessionDep) -> Principal:
    if visitor is None:
        raise LoginRequired(request.url.path)
    if visitor.user.must_change_password and request.url.path != PASSWORD_PAGE:
        raise PasswordChangeRequired()
    lines = await UserRepository(session, visitor.scope).lines_of(visitor.user)
    active = next((line for line in lines if line.id == visitor.session.active_line_id),
                  lines[0] if lines else None)
    request.state.menu = Menu(lines=lines, active=active)
    return visitor


async def _manager(principal: Annotated[Principal, Depends(_signed_in)]) -> Principal:
    if not principal.profile.is_manager:
        raise Forbidden("Only company managers can open this page", code="managers_only")
    return principal


async def _user_admin(principal: Annotated[Principal, Depends(_signed_in)]) -> Principal:
    if principal.profile is not Profile.user_admin:
        raise Forbidden("Only the company's user admin can open this page",
                        code="user_admins_only")
    return principal


WebUser = Annotated[Principal, Depends(_signed_in)]
WebManager = Annotated[Principal, Depends(_manager)]
WebUserAdmin = Annotated[Principal, Depends(_user_admin)]
CsrfChecked = Annotated[None, Depends(check_csrf)]
