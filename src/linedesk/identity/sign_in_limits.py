"""Sign-in limits (SPEC R-A1; README "Sign-in limits"): only failed sign-ins count, and no
limit is keyed by the username alone, so that nobody can lock an account's owner out.

- one username from one client address: after 10 failures in 15 minutes that pair is
  refused (429) until the oldest leaves the window; a good sign-in from there clears them;
- one client address: after 100 failures in 15 minutes, whatever the usernames, it is
  refused (password spraying);
- one username from every address: past 10 failures in an hour, every further try waits
  after the last failure, 1 s, then 2, 4… up to 60 s: a slow-down, never a lock. An address
  the user signed in from in the last 30 days is not slowed down.

Unknown usernames are counted exactly like known ones.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import RateLimited, Unauthorized
from linedesk.identity.models import User
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.service import (
    AuthContext,
    normalize_username,
    sign_in,
    verify_second_factor,
)
from linedesk.kit.ratelimit import (
    SIGN_IN_FAILURES_PER_ADDRESS,
    SIGN_IN_FAILURES_PER_USER,
    SIGN_IN_FAILURES_PER_USER_ADDRESS,
    RateLimiter,
)

FREE_FAILURES = 10  # a username's failures in the window of SIGN_IN_FAILURES_PER_USER
FIRST_DELAY_SECONDS = 1
LONGEST_DELAY_SECONDS = 60
KNOWN_ADDRESS_FOR = timedelta(days=30)
SLOWED_DOWN = "sign_in_slowed_down"  # hold names of the limiter
KNOWN_ADDRESS = "sign_in_known_address"


def delay_after(failures: int) -> int:
    """Seconds every try of a username waits after its last failure, for `failures` of it
    from every address in the last hour."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES), LONGEST_DELAY_SECONDS)


def _too_many(seconds: float) -> RateLimited:
    return RateLimited(
        "Too many attempts: try again later",
        headers={"Retry-After": str(max(1, math.ceil(seconds)))},
    )


@dataclass(frozen=True)
class SignInLimits:
    limiter: RateLimiter
    username: str  # normalised
    address: str

    async def admit(self) -> None:
        """Refuse a try (429, Retry-After) that the limits do not allow."""
        await self.limiter.check(SIGN_IN_FAILURES_PER_ADDRESS, self.address)
        await self.limiter.check(SIGN_IN_FAILURES_PER_USER_ADDRESS, self.username, self.address)
        if not await self.limiter.held(KNOWN_ADDRESS, self.username, self.address):
            wait = await self.limiter.held(SLOWED_DOWN, self.username)
            if wait > 0:
                raise _too_many(wait)
        # Counted before the password is checked, so that tries sent at once from one place
        # cannot pass the limit together; a good sign-in gives them back.
        await self.limiter.hit(SIGN_IN_FAILURES_PER_USER_ADDRESS, self.username, self.address)

    async def failed(self) -> None:
        await self.limiter.note(SIGN_IN_FAILURES_PER_ADDRESS, self.address)
        left = await self.limiter.note(SIGN_IN_FAILURES_PER_USER, self.username)
        delay = delay_after(SIGN_IN_FAILURES_PER_USER.items[0].amount - left)
        if delay:
            await self.limiter.hold(SLOWED_DOWN, delay, self.username)

    async def succeeded(self) -> None:
        await self.limiter.clear(SIGN_IN_FAILURES_PER_USER_ADDRESS, self.username, self.address)
        await self.limiter.hold(
            KNOWN_ADDRESS, KNOWN_ADDRESS_FOR.total_seconds(), self.username, self.address
        )


async def password_sign_in(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    ctx: AuthContext,
    username: str,
    password: str,
    totp_code: str | None,
) -> User:
    """A sign-in with username, password (and a manager's TOTP code) under the sign-in
    limits: what the API's /auth/login and the sign-in page both do."""
    hasher.ensure_capacity()
    limits = SignInLimits(limiter, normalize_username(username), ctx.client_ip or "unknown")
    await limits.admit()
    try:
        user = await sign_in(session, hasher, ctx, username, password)
    except Unauthorized:
        await limits.failed()
        raise
    await verify_second_factor(session, ctx, limiter, user, totp_code)
    await limits.succeeded()
    return user
