"""Two-factor sign-in for managers (SPEC R-A11): TOTP set up with a QR code."""

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import Forbidden, ValidationFailed
from linedesk.identity.models import AuthSession, User
from linedesk.identity.schemas import TwoFactorSetup
from linedesk.identity.service import AuthContext, accept_totp_code, audit, end_all_sessions
from linedesk.identity.totp import new_secret, provisioning_uri, qr_svg
from linedesk.kit.ratelimit import TOTP_TRIES_PER_USER, RateLimiter


def _wrong_code() -> ValidationFailed:
    return ValidationFailed(
        "The code is wrong or expired",
        code="totp_invalid",
        details=[{"field": "code", "reason": "wrong or expired"}],
    )


async def begin_setup(session: AsyncSession, user: User) -> TwoFactorSetup:
    """A new secret, not yet in force: it is enabled once a code from it is entered."""
    if not user.profile.is_manager:
        raise Forbidden("Two-factor sign-in is for company managers", code="managers_only")
    if user.totp_enabled:
        raise ValidationFailed("Two-factor sign-in is already on", code="totp_already_enabled")
    user.totp_secret, user.totp_last_step = new_secret(), None
    uri = provisioning_uri(user.totp_secret, user.username)
    return TwoFactorSetup(secret=user.totp_secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


async def _check_code(
    session: AsyncSession, limiter: RateLimiter, user: User, code: str, ctx: AuthContext
) -> None:
    """The same tries as at sign-in: they share its count of codes per user."""
    await limiter.hit(TOTP_TRIES_PER_USER, str(user.id))
    if not await accept_totp_code(session, user, code, ctx.now):
        raise _wrong_code()


async def enable(
    session: AsyncSession,
    ctx: AuthContext,
    limiter: RateLimiter,
    user: User,
    current: AuthSession,
    code: str,
) -> None:
    """Turn two-factor sign-in on; every other session of the user ends, as they were opened
    without it."""
    if user.totp_secret is None:
        raise _wrong_code()
    await _check_code(session, limiter, user, code, ctx)
    user.totp_enabled = True
    await end_all_sessions(session, ctx, user, "two_factor_enabled", keep=current)
    await audit(session, ctx, "two_factor_enabled", user)


async def disable(
    session: AsyncSession, ctx: AuthContext, limiter: RateLimiter, user: User, code: str
) -> None:
    if not user.totp_enabled or user.totp_secret is None:
        raise _wrong_code()
    await _check_code(session, limiter, user, code, ctx)
    user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
    await audit(session, ctx, "two_factor_disabled", user)
