"""The sign-in limits' rules, without the password work: in memory and (with
LINEDESK_TEST_REDIS_URL) on the real Redis, as tests/kit/test_ratelimit.py does."""

import pytest

from linedesk.errors import RateLimited
from linedesk.identity.sign_in_limits import LONGEST_DELAY_SECONDS, SignInLimits, delay_after
from linedesk.kit.ratelimit import RateLimiter
from tests.kit.test_ratelimit import limiter, redis_prefix  # noqa: F401  (the backends)

NAT = "203.0.113.1"


async def _fail(limits: SignInLimits) -> None:
    await limits.admit()
    await limits.failed()


async def test_a_company_behind_one_address_signs_in_as_often_as_it_likes(limiter: RateLimiter):
    for _ in range(3):
        for n in range(50):  # 150 good sign-ins of 50 people behind one NAT
            limits = SignInLimits(limiter, f"+3934700{n:05d}", NAT)
            await limits.admit()
            await limits.succeeded()


async def test_one_address_is_refused_after_100_failures_whatever_the_usernames(
    limiter: RateLimiter,
):
    for n in range(100):
        await _fail(SignInLimits(limiter, f"guess-{n}", NAT))
    with pytest.raises(RateLimited):
        await SignInLimits(limiter, "someone-else", NAT).admit()
    await SignInLimits(limiter, "someone-else", "198.51.100.1").admit()  # not elsewhere


async def test_ten_failures_stop_only_their_username_and_address(limiter: RateLimiter):
    attacker = SignInLimits(limiter, "laura", NAT)
    for _ in range(10):
        await _fail(attacker)
    with pytest.raises(RateLimited) as stopped:
        await attacker.admit()
    assert int(stopped.value.headers["Retry-After"]) > 800  # type: ignore[index]
    await SignInLimits(limiter, "marco", NAT).admit()


async def test_an_unknown_username_is_counted_and_slowed_like_a_known_one(limiter: RateLimiter):
    # The limits only see the username as typed: nothing in them tells who exists.
    for n in range(10):
        await _fail(SignInLimits(limiter, "nobody-at-all", f"192.0.2.{n}"))
    with pytest.raises(RateLimited) as slowed:
        await SignInLimits(limiter, "nobody-at-all", "192.0.2.99").admit()
    assert slowed.value.headers == {"Retry-After": "1"}


def test_the_delays_double_from_one_second_to_a_minute():
    assert [delay_after(n) for n in range(9, 18)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert delay_after(200) == LONGEST_DELAY_SECONDS == 60
