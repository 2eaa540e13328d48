"""Signing in and sessions: password sign-in, sessions and tokens, refresh, logout, change
of password. Services flush; the request commits (errors marked keep_changes commit too)."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.config import Settings
from linedesk.errors import NotFound, Unauthorized, ValidationFailed, found
from linedesk.identity.models import AuthSession, RefreshToken, SessionKind, User
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.repository import SessionRepository, UserRepository
from linedesk.identity.schemas import CompanyBrief, LineBrief, MeResponse
from linedesk.identity.totp import accepted_step
from linedesk.inventory.models import Company, Line
from linedesk.kit.hashing import new_token, token_digest
from linedesk.kit.phone import InvalidNumber, LineKind, parse_italian_number, parse_mobile
from linedesk.kit.ratelimit import TOTP_TRIES_PER_USER, RateLimiter
from linedesk.kit.repository import Scope
from linedesk.kit.schemas import attributes

LAST_SEEN_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class AuthContext:
    """What identity operations need from the request: settings, time, client address."""

    settings: Settings
    now: datetime
    client_ip: str | None = None


@dataclass(frozen=True)
class IssuedSession:
    session: AuthSession
    user: User
    token: str
    refresh_token: str | None
    expires_in: int


def invalid_credentials() -> Unauthorized:
    # One answer for a wrong password and an unknown user (SPEC R-A1).
    return Unauthorized("Wrong username or password", code="invalid_credentials", keep_changes=True)


def normalize_username(raw: str) -> str:
    """A mobile number in any Italian form becomes E.164; anything else is lower-cased."""
    candidate = raw.strip()
    try:
        return parse_italian_number(candidate, LineKind.mobile)
    except InvalidNumber:
        return candidate.lower()


async def sign_in(
    session: AsyncSession, hasher: PasswordHasher, ctx: AuthContext, username: str, password: str
) -> User:
    """Check a username and password; the same error, after the same work, for both failures."""
    user = await UserRepository(session, Scope.operator()).by_username(normalize_username(username))
    if user is None or user.password_hash is None or user.disabled_at is not None:
        # The same work as a wrong password; no audit row: no company could read it.
        await hasher.verify_dummy(password)
        raise invalid_credentials()
    if not await hasher.verify(user.password_hash, password):
        await record(
            session,
            "sign_in_failed",
            now=ctx.now,
            company_id=user.company_id,
            user_id=user.id,
            subject=user.username,
            client_ip=ctx.client_ip,
        )
        raise invalid_credentials()
    if not user.must_change_password and hasher.needs_rehash(user.password_hash):
        # Hashed with older parameters: now that the password is known, with today's.
        user.password_hash = await hasher.rehash(password)
    return user


async def open_session(
    session: AsyncSession, ctx: AuthContext, user: User, kind: SessionKind, via: str
) -> IssuedSession:
    settings, now = ctx.settings, ctx.now
    if (
        via == "password"
        and user.must_change_password
        and not await _spend_generated_password(session, user)
    ):
        raise invalid_credentials()
    token = new_token("lds")
    if kind is SessionKind.app:
        token_ttl = timedelta(minutes=settings.access_token_minutes)
        lifetime = timedelta(days=settings.app_session_absolute_days)
    else:
        lifetime = token_ttl = timedelta(hours=settings.web_session_absolute_hours)
    auth_session = AuthSession(
        company_id=user.company_id,
        user_id=user.id,
        kind=kind,
        via=via,
        token_digest=token_digest(token),
        token_expires_at=now + token_ttl,
        csrf_token=secrets.token_urlsafe(32) if kind is SessionKind.web else None,
        active_line_id=user.main_line_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(auth_session)
    await session.flush()
    refresh = (
        await _new_refresh_token(session, auth_session, now) if kind is SessionKind.app else None
    )
    await record(
        session,
        "sign_in",
        now=now,
        company_id=user.company_id,
        user_id=user.id,
        subject=user.username,
        client_ip=ctx.client_ip,
        via=via,
        kind=kind.value,
    )
    return IssuedSession(auth_session, user, token, refresh, int(token_ttl.total_seconds()))


async def _spend_generated_password(session: AsyncSession, user: User) -> bool:
    """A generated password signs in once; then only the new one the user sets will."""
    return user.password_hash is not None and await UserRepository(
        session, Scope.company(user.company_id)
    ).spend_password(user, user.password_hash)


async def _new_refresh_token(
    session: AsyncSession, auth_session: AuthSession, now: datetime
) -> str:
    token = new_token("ldr")
    session.add(
        RefreshToken(
            company_id=auth_session.company_id,
            session_id=auth_session.id,
            token_digest=token_digest(token),
            created_at=now,
        )
    )
    await session.flush()
    return token


def _is_live(auth_session: AuthSession, settings: Settings, now: datetime) -> bool:
    if auth_session.revoked_at is not None or now >= auth_session.expires_at:
        return False
    if auth_session.kind is SessionKind.web:
        idle = timedelta(minutes=settings.web_session_idle_minutes)
    else:
        idle = timedelta(days=settings.app_session_idle_days)
    return now - auth_session.last_seen_at < idle


async def authenticate(
    session: AsyncSession, ctx: AuthContext, token: str, kind: SessionKind
) -> tuple[AuthSession, User] | None:
    """The live session and user behind a cookie or access token, or None."""
    found = await SessionRepository(session).with_user(token_digest(token))
    if found is None:
        return None
    auth_session, user = found
    if (
        auth_session.kind is not kind
        or ctx.now >= auth_session.token_expires_at
        or not _is_live(auth_session, ctx.settings, ctx.now)
    ):
        return None
    if ctx.now - auth_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        auth_session.last_seen_at = ctx.now
    return auth_session, user


async def refresh(session: AsyncSession, ctx: AuthContext, refresh_token: str) -> IssuedSession:
    """Rotate: a new access and refresh token; reusing a rotated one revokes the family."""
    repo = SessionRepository(session)
    stored = await repo.refresh_token(token_digest(refresh_token))
    auth_session = await session.get(AuthSession, stored.session_id) if stored else None
    refused = Unauthorized(
        "The refresh token is not valid", code="invalid_refresh_token", keep_changes=True
    )
    if stored is None or auth_session is None or not _is_live(auth_session, ctx.settings, ctx.now):
        raise refused
    if not await repo.spend_refresh_token(stored.id, ctx.now):
        # Used before, or by a request a moment ago: either way the token was presented
        # twice, so the family ends, the tokens just rotated included.
        auth_session.revoked_at, auth_session.revoked_reason = ctx.now, "refresh_reuse"
        await record(
            session,
            "refresh_token_reused",
            now=ctx.now,
            company_id=auth_session.company_id,
            user_id=auth_session.user_id,
            client_ip=ctx.client_ip,
        )
        raise refused
    token = new_token("lds")
    ttl = timedelta(minutes=ctx.settings.access_token_minutes)
    auth_session.token_digest = token_digest(token)
    auth_session.token_expires_at = ctx.now + ttl
    auth_session.last_seen_at = ctx.now
    user = await session.get(User, auth_session.user_id)
    if user is None:
        raise refused
    new_refresh = await _new_refresh_token(session, auth_session, ctx.now)
    return IssuedSession(auth_session, user, token, new_refresh, int(ttl.total_seconds()))


async def sign_out(session: AsyncSession, ctx: AuthContext, auth_session: AuthSession) -> None:
    auth_session.revoked_at, auth_session.revoked_reason = ctx.now, "logout"
    await record(
        session,
        "sign_out",
        now=ctx.now,
        company_id=auth_session.company_id,
        user_id=auth_session.user_id,
        client_ip=ctx.client_ip,
    )


async def end_all_sessions(
    session: AsyncSession,
    ctx: AuthContext,
    user: User,
    reason: str,
    keep: AuthSession | None = None,
) -> None:
    await SessionRepository(session).revoke_all(user.id, reason, ctx.now, keep.id if keep else None)


async def set_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    ctx: AuthContext,
    user: User,
    new_password: str,
    keep: AuthSession | None = None,
) -> None:
    """A new password ends every other session of the user."""
    user.password_hash = await hasher.hash(new_password, username=user.username)
    user.must_change_password = False
    user.password_changed_at = ctx.now
    await end_all_sessions(session, ctx, user, "password_changed", keep)
    await record(
        session,
        "password_changed",
        now=ctx.now,
        company_id=user.company_id,
        user_id=user.id,
        subject=user.username,
        client_ip=ctx.client_ip,
    )


async def change_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    ctx: AuthContext,
    user: User,
    current: AuthSession,
    current_password: str | None,
    new_password: str,
) -> None:
    """The current password is asked again, except right after signing in with a generated
    one (the user typed it a moment ago)."""
    if not user.must_change_password and (
        current_password is None
        or user.password_hash is None
        or not await hasher.verify(user.password_hash, current_password)
    ):
        raise ValidationFailed(
            "The current password is wrong",
            code="wrong_password",
            details=[{"field": "current_password", "reason": "wrong password"}],
        )
    await set_password(session, hasher, ctx, user, new_password, keep=current)


async def verify_second_factor(
    session: AsyncSession, ctx: AuthContext, limiter: RateLimiter, user: User, code: str | None
) -> None:
    """Managers with TOTP enabled give a current code after their password."""
    if not user.totp_enabled or user.totp_secret is None:
        return
    if code is None:
        raise Unauthorized("Enter the code from your authenticator app", code="totp_required")
    await limiter.hit(TOTP_TRIES_PER_USER, str(user.id))
    if not await accept_totp_code(session, user, code, ctx.now):
        await record(
            session,
            "sign_in_failed",
            now=ctx.now,
            company_id=user.company_id,
            user_id=user.id,
            subject=user.username,
            client_ip=ctx.client_ip,
            reason="totp",
        )
        raise Unauthorized("The code is wrong or expired", code="totp_invalid", keep_changes=True)


async def accept_totp_code(session: AsyncSession, user: User, code: str, now: datetime) -> bool:
    """A current code of the user's authenticator, accepted once (RFC 6238 §5.2): its time
    step is kept, and that code or an older one is refused afterwards, even when two
    requests bring it at the same moment."""
    if user.totp_secret is None:
        return False
    step = accepted_step(user.totp_secret, code, now, user.totp_last_step)
    if step is None:
        return False
    return await UserRepository(session, Scope.company(user.company_id)).claim_totp_step(user, step)


async def describe_user(
    session: AsyncSession, user: User, current: AuthSession | None = None
) -> MeResponse:
    company = found(await session.get(Company, user.company_id), "No such company")
    lines = await UserRepository(session, Scope.company(user.company_id)).lines_of(user)
    active = next(
        (line.msisdn for line in lines if current and line.id == current.active_line_id), None
    )
    names = ("id", "username", "profile", "email", "language", "must_change_password")
    return MeResponse(
        **attributes(user, *names, "totp_enabled"),
        company=CompanyBrief.model_validate(company),
        lines=[
            LineBrief(msisdn=line.msisdn, kind=line.kind, main=line.id == user.main_line_id)
            for line in lines
        ],
        active_line=active or (lines[0].msisdn if lines else None),
    )


async def choose_active_line(
    session: AsyncSession, user: User, auth_session: AuthSession, raw_msisdn: str
) -> Line:
    """The line switcher under the avatar: pick which of the user's lines the app shows."""
    msisdn = parse_mobile(raw_msisdn)
    lines = await UserRepository(session, Scope.company(user.company_id)).lines_of(user)
    line = next((line for line in lines if line.msisdn == msisdn), None)
    if line is None:
        raise NotFound("This line is not one of yours")
    auth_session.active_line_id = line.id
    return line
