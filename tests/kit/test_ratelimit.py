"""Rate limits, in memory and (when LINEDESK_TEST_REDIS_URL is set) on the real Redis.

With LINEDESK_TEST_REDIS_URL set, an unreachable Redis fails these tests: it never skips them.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from limits import RateLimitItemPerHour, RateLimitItemPerSecond
from pydantic import ValidationError

from linedesk.config import Settings
from linedesk.errors import RateLimited, Unavailable
from linedesk.kit.ratelimit import (
    PUK_TRIES_PER_LINE,
    RULES,
    SIGN_IN_FAILURES_PER_ADDRESS,
    SIGN_IN_FAILURES_PER_USER_ADDRESS,
    RateLimiter,
    Rule,
    async_storage_uri,
)

REDIS_URL = os.environ.get("LINEDESK_TEST_REDIS_URL", "")
BACKENDS = ["memory", "redis"] if REDIS_URL else ["memory"]


async def _redis_limiter(prefix: str) -> RateLimiter:
    limiter = RateLimiter(REDIS_URL, key_prefix=prefix)
    if not await limiter.is_healthy():
        pytest.fail(f"LINEDESK_TEST_REDIS_URL={REDIS_URL} is set but Redis does not answer")
    return limiter


async def _forget(prefix: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def redis_prefix() -> str:
    # Each test counts under its own prefix: parallel runs and earlier runs do not interfere.
    return f"linedesk-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=BACKENDS)
async def limiter(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield RateLimiter("memory://")
        return
    limiter = await _redis_limiter(redis_prefix)
    yield limiter
    await limiter.close()
    await _forget(redis_prefix)


async def test_the_attempt_past_the_limit_is_refused_with_retry_after(limiter: RateLimiter):
    three_per_hour = RateLimitItemPerHour(3, namespace="test")
    for _ in range(3):
        await limiter.hit(three_per_hour, "+393331234567")
    with pytest.raises(RateLimited) as refused:
        await limiter.hit(three_per_hour, "+393331234567")
    assert refused.value.status_code == 429
    assert refused.value.code == "rate_limited"
    retry_after = int(refused.value.headers["Retry-After"])  # type: ignore[index]
    assert 3590 <= retry_after <= 3600
    assert refused.value.message == "Too many attempts: try again later"


async def test_counts_are_kept_per_identifier(limiter: RateLimiter):
    await limiter.hit(PUK_TRIES_PER_LINE, "line-a")
    await limiter.hit(PUK_TRIES_PER_LINE, "line-a")
    await limiter.hit(PUK_TRIES_PER_LINE, "line-a")
    with pytest.raises(RateLimited):
        await limiter.hit(PUK_TRIES_PER_LINE, "line-a")
    await limiter.hit(PUK_TRIES_PER_LINE, "line-b")  # another line is not affected
    assert await limiter.remaining(PUK_TRIES_PER_LINE, "line-b") == 2


async def test_rules_with_the_same_limit_do_not_share_counts(limiter: RateLimiter):
    first, second = Rule.parse("first", "1 per hour"), Rule.parse("second", "1 per hour")
    await limiter.hit(first, "same-identifier")
    await limiter.hit(second, "same-identifier")
    with pytest.raises(RateLimited):
        await limiter.hit(first, "same-identifier")


async def test_identifiers_are_not_joined_ambiguously(limiter: RateLimiter):
    rule = Rule.parse("pair", "1 per hour")
    await limiter.hit(rule, "a/b")
    await limiter.hit(rule, "a", "b")  # not the same key as "a/b"


async def test_clear_gives_the_attempts_back(limiter: RateLimiter):
    for _ in range(10):
        await limiter.hit(SIGN_IN_FAILURES_PER_USER_ADDRESS, "mario", "192.0.2.1")
    with pytest.raises(RateLimited):
        await limiter.hit(SIGN_IN_FAILURES_PER_USER_ADDRESS, "mario", "192.0.2.1")
    await limiter.clear(SIGN_IN_FAILURES_PER_USER_ADDRESS, "mario", "192.0.2.1")
    await limiter.hit(SIGN_IN_FAILURES_PER_USER_ADDRESS, "mario", "192.0.2.1")


async def test_note_counts_without_ever_refusing(limiter: RateLimiter):
    rule = Rule.parse("noted", "2 per hour")
    assert await limiter.note(rule, "x") == 1
    assert await limiter.note(rule, "x") == 0
    assert await limiter.note(rule, "x") == 0  # full, and no error: it already happened
    with pytest.raises(RateLimited):
        await limiter.check(rule, "x")


async def test_a_hold_lasts_its_seconds_and_a_new_one_replaces_it(limiter: RateLimiter):
    assert await limiter.held("pause", "mario") == 0
    await limiter.hold("pause", 30, "mario")
    assert 28 <= await limiter.held("pause", "mario") <= 30
    assert await limiter.held("pause", "luigi") == 0  # per identifiers
    assert await limiter.held("other", "mario") == 0  # and per name
    await limiter.hold("pause", 1, "mario")  # shorter: replaces, does not add
    assert await limiter.held("pause", "mario") <= 1
    await asyncio.sleep(1.1)
    assert await limiter.held("pause", "mario") == 0


async def test_check_refuses_without_counting(limiter: RateLimiter):
    rule = Rule.parse("check", "2 per hour")
    await limiter.check(rule, "x")
    await limiter.check(rule, "x")
    assert await limiter.remaining(rule, "x") == 2
    await limiter.hit(rule, "x")
    await limiter.hit(rule, "x")
    with pytest.raises(RateLimited) as refused:
        await limiter.check(rule, "x")
    assert "Retry-After" in refused.value.headers  # type: ignore[operator]


async def test_every_limit_of_a_rule_is_enforced(limiter: RateLimiter):
    rule = Rule.parse("layered", "3 per second; 4 per hour")
    for _ in range(3):
        await limiter.hit(rule, "n")
    with pytest.raises(RateLimited) as short:
        await limiter.hit(rule, "n")
    assert short.value.headers == {"Retry-After": "1"}
    await asyncio.sleep(1.1)
    await limiter.hit(rule, "n")  # the 4th in the hour
    with pytest.raises(RateLimited) as long:
        await limiter.hit(rule, "n")
    assert int(long.value.headers["Retry-After"]) > 3500  # type: ignore[index]


async def test_the_window_frees_after_its_time(limiter: RateLimiter):
    one_per_second = RateLimitItemPerSecond(1, namespace="frees")
    await limiter.hit(one_per_second, "z")
    with pytest.raises(RateLimited):
        await limiter.hit(one_per_second, "z")
    await asyncio.sleep(1.1)
    await limiter.hit(one_per_second, "z")


async def test_rules_are_found_by_name_or_written_as_a_limit(limiter: RateLimiter):
    await limiter.hit("puk_line", "line-c")
    assert await limiter.remaining(PUK_TRIES_PER_LINE, "line-c") == 2
    await limiter.hit("1 per minute", "inline")
    with pytest.raises(RateLimited):
        await limiter.hit("1/minute", "inline")


def test_the_named_rules_table():
    assert RULES["puk_line"] is PUK_TRIES_PER_LINE
    (puk,) = PUK_TRIES_PER_LINE.items
    assert (puk.amount, puk.get_expiry()) == (3, 3600)
    assert (
        SIGN_IN_FAILURES_PER_ADDRESS.items[0].amount
        > SIGN_IN_FAILURES_PER_USER_ADDRESS.items[0].amount
    )
    assert {
        "sign_in_user_address",
        "sign_in_address",
        "sign_in_user",
        "code_send_number",
        "code_send_address",
        "code_verify_number",
        "puk_line",
    } <= set(RULES)


def test_storage_uris_map_to_the_async_schemes():
    assert async_storage_uri("") == "async+memory://"
    assert async_storage_uri("memory://") == "async+memory://"
    assert async_storage_uri("redis://h:6379/0") == "async+redis://h:6379/0"
    assert async_storage_uri("async+redis://h") == "async+redis://h"


def test_from_settings_uses_memory_without_redis(tmp_path):
    limiter = RateLimiter.from_settings(Settings(_env_file=None, data_dir=tmp_path))
    assert type(limiter.storage).__name__ == "MemoryStorage"


def test_production_refuses_to_start_without_redis():
    with pytest.raises(ValidationError, match="LINEDESK_REDIS_URL"):
        Settings(
            _env_file=None,
            env="production",
            secret_key="s" * 48,
            database_url="postgresql+asyncpg://linedesk@db/linedesk",
        )


# Only with a Redis to talk to (CI always has one): collected, never skipped.
if REDIS_URL:

    async def test_the_configured_redis_answers():
        limiter = RateLimiter(REDIS_URL, key_prefix="linedesk-test-ping")
        try:
            assert await limiter.is_healthy(), f"Redis at {REDIS_URL} does not answer"
        finally:
            await limiter.close()

    async def test_two_api_processes_share_one_count(redis_prefix: str):
        first = await _redis_limiter(redis_prefix)
        second = await _redis_limiter(redis_prefix)
        try:
            await first.hit(PUK_TRIES_PER_LINE, "+393331234567")
            await second.hit(PUK_TRIES_PER_LINE, "+393331234567")
            await first.hit(PUK_TRIES_PER_LINE, "+393331234567")
            with pytest.raises(RateLimited):
                await second.hit(PUK_TRIES_PER_LINE, "+393331234567")
            await second.clear(PUK_TRIES_PER_LINE, "+393331234567")
            await first.hit(PUK_TRIES_PER_LINE, "+393331234567")
        finally:
            await first.close()
            await second.close()
            await _forget(redis_prefix)


async def test_an_unreachable_redis_refuses_with_503_and_retry_after_never_passes():
    """Fail closed: no count means no attempt, for every operation (see tests/ops for the
    whole app against a Redis that is stopped)."""
    limiter = RateLimiter("redis://127.0.0.1:1/0", key_prefix="nowhere")
    try:
        assert limiter.shared and not await limiter.is_healthy()
        for operation in (limiter.hit, limiter.check, limiter.remaining, limiter.clear):
            with pytest.raises(Unavailable) as refused:
                await operation(PUK_TRIES_PER_LINE, "x")
            assert refused.value.status_code == 503 and refused.value.code == "unavailable"
            assert refused.value.headers == {"Retry-After": "5"}
    finally:
        await limiter.close()


def test_counts_in_memory_are_not_shared():
    assert not RateLimiter("memory://").shared
