"""Web sign-in: the session's __Host- cookie and the typed page dependencies per profile
(SPEC R-A9). A page without a session redirects to sign in (`web.errors`)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.config import Settings
from linedesk.deps import SessionDep
from linedesk.identity.auth import AuthContextDep, is_manager, is_user_admin, restricted
from linedesk.identity.models import SessionKind, User
from linedesk.identity.principal import Principal
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext, IssuedSession, authenticate, open_session
from linedesk.inventory.models import Line
from linedesk.web.errors import PASSWORD_PAGE, LoginRequired, PasswordChangeRequired


@dataclass(frozen=True)
class Menu:
    """The avatar menu: the user's lines for the switcher, the one shown now."""

    lines: list[Line]
    active: Line | None


def set_session_cookie(response: Response, settings: Settings, issued: IssuedSession) -> None:
    max_age = int((issued.session.expires_at - issued.session.created_at).total_seconds())
    response.set_cookie(
        settings.session_cookie_name,
        issued.token,
        max_age=max_age,
        secure=True,
        httponly=True,
        samesite="lax",
        path="/",
    )


async def signed_in(
    session: AsyncSession, ctx: AuthContext, user: User, via: str, response: Response
) -> Response:
    """`response`, carrying the cookie of a new web session of `user` (signed in `via`)."""
    issued = await open_session(session, ctx, user, SessionKind.web, via=via)
    set_session_cookie(response, ctx.settings, issued)
    return response


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.session_cookie_name, secure=True, httponly=True, samesite="lax", path="/"
    )


async def _visitor(request: Request, session: SessionDep, ctx: AuthContextDep) -> Principal | None:
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
    active = next(
        (line for line in lines if line.id == visitor.session.active_line_id),
        lines[0] if lines else None,
    )
    request.state.menu = Menu(lines=lines, active=active)
    return visitor


_manager = restricted(
    _signed_in, is_manager, "Only company managers can open this page", "managers_only"
)
_user_admin = restricted(
    _signed_in,
    is_user_admin,
    "Only the company's user admin can open this page",
    "user_admins_only",
)


WebUser = Annotated[Principal, Depends(_signed_in)]
WebManager = Annotated[Principal, Depends(_manager)]
WebUserAdmin = Annotated[Principal, Depends(_user_admin)]


VisitCounter = Callable[[AsyncSession, Principal, str, datetime], Awaitable[None]]
"""Counts that a user opened a feature's page (the dashboard's quick links): create_app
wires it as `app.state.count_visit`, so a page counts a visit without importing the dashboard."""


async def count_visit(
    request: Request, session: AsyncSession, principal: Principal, feature: str, now: datetime
) -> None:
    counter: VisitCounter = request.app.state.count_visit
    await counter(session, principal, feature, now)
