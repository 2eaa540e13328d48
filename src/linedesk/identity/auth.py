"""Typed auth dependencies: who is calling, per profile (SPEC R-A9, R-P2)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.deps import ClockDep, LimiterDep, SessionDep, SettingsDep
from linedesk.errors import Forbidden, Unauthorized
from linedesk.identity.codes import CodeCall, Limits
from linedesk.identity.models import Profile, SessionKind
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.principal import Principal
from linedesk.identity.service import Along, AuthContext, authenticate
from linedesk.kit.network import client_address

_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_HEADER = "X-CSRF-Token"


async def _auth_context(request: Request, settings: SettingsDep, clock: ClockDep) -> AuthContext:
    ip = client_address(
        request.client.host if request.client else None, request.headers, settings.trusted_proxies
    )
    return AuthContext(settings=settings, now=clock.now(), client_ip=str(ip) if ip else None)


AuthContextDep = Annotated[AuthContext, Depends(_auth_context)]


def _code_limits(limiter: LimiterDep, ctx: AuthContextDep) -> Limits:
    return Limits.of(limiter, ctx)


# The rate limits a one-time code's sending and entering count against, for this request.
CodeLimitsDep = Annotated[Limits, Depends(_code_limits)]


async def _hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.hasher
    return hasher


HasherDep = Annotated[PasswordHasher, Depends(_hasher)]


async def _code_call(
    session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep, hasher: HasherDep
) -> CodeCall:
    return CodeCall(session, ctx, limits, hasher)


# What a request of the code flows brings to their operations.
CodeCallDep = Annotated[CodeCall, Depends(_code_call)]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def signed_in(
    request: Request,
    session: AsyncSession,
    ctx: AuthContext,
    bearer: HTTPAuthorizationCredentials | None,
    along: Along | None = None,
) -> tuple[Principal, tuple[Any, ...]]:
    """Who is calling (an access token, else the session cookie), and what `along` read in
    the same round trip; 401 when nobody is signed in."""
    found = None
    if bearer is not None:
        found = await authenticate(session, ctx, bearer.credentials, SessionKind.app, along)
    elif cookie := request.cookies.get(ctx.settings.session_cookie_name):
        found = await authenticate(session, ctx, cookie, SessionKind.web, along)
        if (
            found
            and request.method in UNSAFE_METHODS
            and request.headers.get(CSRF_HEADER) != found[0].csrf_token
        ):
            raise Forbidden("Missing or wrong CSRF token", code="csrf_failed")
    if found is None:
        raise Unauthorized(
            "Sign in to continue", code="not_authenticated", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.principal = Principal(user=found[1], session=found[0])
    return request.state.principal, found[2]


def active(principal: Principal) -> Principal:
    """The principal, unless a generated password is still to be changed (403)."""
    if principal.user.must_change_password:
        raise Forbidden("Choose a new password to continue", code="password_change_required")
    return principal


async def _principal(
    request: Request, session: SessionDep, ctx: AuthContextDep, bearer: BearerDep
) -> Principal:
    return (await signed_in(request, session, ctx, bearer))[0]


async def _active(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    return active(principal)


PrincipalDependency = Callable[..., Awaitable[Principal]]


def restricted(
    to: PrincipalDependency, allowed: Callable[[Principal], bool], refusal: str, code: str
) -> PrincipalDependency:
    """A dependency that takes the principal `to` gives and lets it through if `allowed`,
    else answers 403 with `refusal` (worded for the API or for the pages) and `code`."""

    async def check(principal: Annotated[Principal, Depends(to)]) -> Principal:
        if not allowed(principal):
            raise Forbidden(refusal, code=code)
        return principal

    return check


def is_manager(principal: Principal) -> bool:
    return principal.profile.is_manager


def is_user_admin(principal: Principal) -> bool:
    return principal.profile is Profile.user_admin


_manager = restricted(_active, is_manager, "Only company managers can do this", "managers_only")
_user_admin = restricted(
    _active, is_user_admin, "Only the company's user admin can do this", "user_admins_only"
)


# Signed in, even with a generated password still to change (only /me and /me/password).
PendingUser = Annotated[Principal, Depends(_principal)]
CurrentUser = Annotated[Principal, Depends(_active)]
Manager = Annotated[Principal, Depends(_manager)]
UserAdmin = Annotated[Principal, Depends(_user_admin)]
