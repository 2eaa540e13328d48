"""Signing in with a password, tokens, the signed-in user (SPEC §9: /auth, /me)."""

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.deps import LimiterDep, SessionDep
from linedesk.errors import NotFound
from linedesk.identity.auth import AuthContextDep, HasherDep, Manager, PendingUser
from linedesk.identity.autologin import employee_of_line
from linedesk.identity.models import SessionKind, User
from linedesk.identity.schemas import (
    CodeEntry,
    CodeTicket,
    LoginRequest,
    MeResponse,
    PasswordChange,
    RefreshRequest,
    SimulatedAutologin,
    TokenResponse,
    TwoFactorSetup,
)
from linedesk.identity.service import (
    AuthContext,
    IssuedSession,
    change_password,
    describe_user,
    open_session,
    refresh,
    sign_out,
)
from linedesk.identity.sign_in_limits import password_sign_in
from linedesk.identity.two_factor import begin_setup, disable, enable
from linedesk.kit.network import parse_address, vouched_msisdn
from linedesk.kit.phone import parse_mobile

router = APIRouter(tags=["signing in"])
F = TypeVar("F", bound=Callable[..., Any])


def tokens_response(issued: IssuedSession) -> TokenResponse:
    assert issued.refresh_token is not None
    return TokenResponse(
        access_token=issued.token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        profile=issued.user.profile,
        must_change_password=issued.user.must_change_password,
    )


async def app_tokens(
    session: AsyncSession, ctx: AuthContext, user: User, via: str
) -> TokenResponse:
    """Signed in on the app (by password, autologin, registration or activation): a new
    session and its tokens."""
    return tokens_response(await open_session(session, ctx, user, SessionKind.app, via=via))


def code_route(router: APIRouter, path: str, ticket: type[CodeTicket]) -> Callable[[F], F]:
    """A route that sends a code (a flow's start, or "send again"): 202, with the ticket to
    go on with."""
    return router.post(path, response_model=ticket, status_code=status.HTTP_202_ACCEPTED)


@router.post("/auth/login", response_model=TokenResponse)
async def login(
    body: LoginRequest,
    session: SessionDep,
    ctx: AuthContextDep,
    hasher: HasherDep,
    limiter: LimiterDep,
) -> TokenResponse:
    """Sign in with username (an employee's mobile number) and password.

    A wrong password and an unknown username get the same answer. Managers with two-factor
    sign-in enabled also send `totp_code`. Only failed sign-ins count towards the limits
    (429 with `Retry-After`): 10 per username and client address in 15 minutes, 100 per
    address; past 10 from everywhere in an hour a username's tries wait a little, but not
    from an address it signed in from lately.
    """
    user = await password_sign_in(
        session, hasher, limiter, ctx, body.username, body.password, body.totp_code
    )
    return await app_tokens(session, ctx, user, "password")


@router.post("/auth/refresh", response_model=TokenResponse)
async def refresh_tokens(
    body: RefreshRequest, session: SessionDep, ctx: AuthContextDep
) -> TokenResponse:
    """Trade a refresh token for new tokens. Each refresh token works once; presenting a
    used one again ends the whole session (a stolen token is then worthless)."""
    return tokens_response(await refresh(session, ctx, body.refresh_token))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: PendingUser, session: SessionDep, ctx: AuthContextDep) -> Response:
    """End this session on the server: its tokens stop working at once."""
    await sign_out(session, ctx, principal.session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=MeResponse)
async def me(principal: PendingUser, session: SessionDep) -> MeResponse:
    """The signed-in user: profile, company, lines (main first, then linked), language."""
    return await describe_user(session, principal.user, principal.session)


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def put_password(
    body: PasswordChange,
    principal: PendingUser,
    session: SessionDep,
    ctx: AuthContextDep,
    hasher: HasherDep,
) -> Response:
    """Change the password; every other session of the user ends."""
    await change_password(
        session,
        hasher,
        ctx,
        principal.user,
        principal.session,
        body.current_password,
        body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/autologin", response_model=TokenResponse)
async def autologin(request: Request, session: SessionDep, ctx: AuthContextDep) -> TokenResponse:
    """Sign in by the number the operator's mobile network vouches for (a gateway header,
    trusted only from the configured gateway ranges, signed when a key is set). The profile
    is always `employee`. Elsewhere (Wi-Fi, other networks) the answer is 401
    `autologin_unavailable`: use the password form."""
    msisdn = vouched_msisdn(
        parse_address(ctx.client_ip or ""), request.headers, ctx.settings, ctx.now
    )
    user = await employee_of_line(session, ctx, msisdn)
    return await app_tokens(session, ctx, user, "autologin")


@router.post("/dev/autologin", response_model=TokenResponse, tags=["development"])
async def simulated_autologin(
    body: SimulatedAutologin, session: SessionDep, ctx: AuthContextDep
) -> TokenResponse:
    """Development only: sign in as if the mobile network vouched for `msisdn`, to try
    autologin on the demo. Production refuses to start with it switched on."""
    if not ctx.settings.simulates_autologin:
        raise NotFound("Not Found")
    user = await employee_of_line(session, ctx, parse_mobile(body.msisdn))
    return await app_tokens(session, ctx, user, "autologin")


@router.post("/me/two-factor", response_model=TwoFactorSetup)
async def two_factor_setup(principal: Manager, session: SessionDep) -> TwoFactorSetup:
    """Managers: start two-factor sign-in; scan the QR code, then confirm with a code."""
    return await begin_setup(session, principal.user)


@router.post("/me/two-factor/enable", status_code=status.HTTP_204_NO_CONTENT)
async def two_factor_enable(
    body: CodeEntry,
    principal: Manager,
    session: SessionDep,
    ctx: AuthContextDep,
    limiter: LimiterDep,
) -> Response:
    """Confirm the setup with a first code: two-factor sign-in is on, and every other session
    of the user ends. Codes are limited as at sign-in (429 with `Retry-After`)."""
    await enable(session, ctx, limiter, principal.user, principal.session, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/two-factor/disable", status_code=status.HTTP_204_NO_CONTENT)
async def two_factor_disable(
    body: CodeEntry,
    principal: Manager,
    session: SessionDep,
    ctx: AuthContextDep,
    limiter: LimiterDep,
) -> Response:
    """Turn two-factor sign-in off with a current code (limited as at sign-in)."""
    await disable(session, ctx, limiter, principal.user, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
