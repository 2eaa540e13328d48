"""Rate limits with `limits`: in memory when embedded, in Redis so API processes share counts.

Every limit is a moving window: "3 per hour" means at most 3 in any 60 minutes, so
Retry-After is exactly the time until the oldest counted attempt leaves the window.

A lost Redis fails closed: what a limit guards answers 503 with Retry-After (never 500, and
never unguarded), until Redis answers again; `/readyz` reports it meanwhile.
"""

import asyncio
import hashlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from limits import RateLimitItem, parse_many
from limits.aio.storage import MovingWindowSupport, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from linedesk.errors import TooManyAttempts, Unavailable

log = structlog.get_logger()

MEMORY = "memory://"
# A Redis that does not answer must not hold a request for long: one retry, one second per
# connect and per command. Its clients are told to come back after STORAGE_RETRY_AFTER.
REDIS_TIMEOUT_SECONDS = 1.0
STORAGE_RETRY_AFTER = 5


@dataclass(frozen=True)
class Rule:
    """A named limit, or several enforced together; the name keeps its counts apart."""

    name: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, expression: str) -> "Rule":
        """`expression` in limits' notation, e.g. "5 per hour; 10 per day"."""
        items = tuple(
            type(item)(item.amount, item.multiples, namespace=name)
            for item in parse_many(expression)
        )
        return cls(name, items)


# The named rules of signing in (SPEC R-A1, R-A3, R-A7). Per-address limits are looser
# than per-account ones: a company NAT or the operator's carrier-grade NAT puts many
# people behind one address. Sign-in rules count failed sign-ins only, and none is keyed by
# username alone, so nobody elsewhere can lock an account's owner out
# (linedesk.identity.sign_in_limits; README "Sign-in limits").
SIGN_IN_FAILURES_PER_USER_ADDRESS = Rule.parse("sign_in_user_address", "10 per 15 minutes")
SIGN_IN_FAILURES_PER_ADDRESS = Rule.parse("sign_in_address", "100 per 15 minutes")
# Counted from every address, to slow one username's sign-ins down, never to refuse them.
SIGN_IN_FAILURES_PER_USER = Rule.parse("sign_in_user", "200 per hour")
CODE_SEND_PER_NUMBER = Rule.parse("code_send_number", "5 per hour; 10 per day")
CODE_SEND_PER_ADDRESS = Rule.parse("code_send_address", "20 per hour; 100 per day")
CODE_VERIFY_PER_NUMBER = Rule.parse("code_verify_number", "10 per hour")
CODE_VERIFY_PER_ADDRESS = Rule.parse("code_verify_address", "50 per hour")
PUK_TRIES_PER_LINE = Rule.parse("puk_line", "3 per hour")
TOTP_TRIES_PER_USER = Rule.parse("totp_user", "5 per 15 minutes")

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        SIGN_IN_FAILURES_PER_USER_ADDRESS,
        SIGN_IN_FAILURES_PER_ADDRESS,
        SIGN_IN_FAILURES_PER_USER,
        CODE_SEND_PER_NUMBER,
        CODE_SEND_PER_ADDRESS,
        CODE_VERIFY_PER_NUMBER,
        CODE_VERIFY_PER_ADDRESS,
        PUK_TRIES_PER_LINE,
        TOTP_TRIES_PER_USER,
    )
}

RuleLike = Rule | RateLimitItem | str


def async_storage_uri(uri: str) -> str:
    """Map a plain URI ("memory://", "redis://host:6379/0") to limits' async scheme."""
    uri = uri.strip() or MEMORY
    return uri if uri.startswith("async+") else f"async+{uri}"


def _items(rule: RuleLike) -> tuple[RateLimitItem, ...]:
    if isinstance(rule, Rule):
        return rule.items
    if isinstance(rule, RateLimitItem):
        return (rule,)
    if rule in RULES:
        return RULES[rule].items
    return tuple(parse_many(rule))


def _key(identifiers: Iterable[str]) -> str:
    # One fixed-length key part: no separator ambiguity ("a/b" vs "a", "b") and no raw
    # usernames, numbers or addresses lying in Redis.
    joined = "\x1f".join(identifiers)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


class StorageSettings(Protocol):
    """Where the counts live: the settings' Redis, or memory when it is empty."""

    @property
    def redis_url(self) -> str: ...


class RateLimiter:
    """Counts attempts per rule and identifiers; `hit` raises RateLimited (429) when exceeded."""

    def __init__(self, storage_uri: str = MEMORY, *, key_prefix: str = "linedesk") -> None:
        uri = async_storage_uri(storage_uri)
        options: dict[str, Any] = {}
        if uri.startswith(("async+redis", "async+rediss")):
            # redis-py's asyncio client; errors surface as limits.errors.StorageError.
            options = {
                "implementation": "redispy",
                "key_prefix": key_prefix,
                "wrap_exceptions": True,
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
                "retry": Retry(ExponentialBackoff(cap=0.1, base=0.02), retries=1),
            }
        storage = storage_from_string(uri, **options)
        if not isinstance(storage, Storage) or not isinstance(storage, MovingWindowSupport):
            raise ValueError(f"{storage_uri!r} is not an async storage with moving windows")
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: "StorageSettings") -> "RateLimiter":
        return cls(settings.redis_url or MEMORY)

    async def hit(self, rule: RuleLike, *identifiers: str) -> None:
        """Count one attempt; raise RateLimited with Retry-After if a limit is already full."""
        await self._pass(self._strategy.hit, rule, identifiers)

    async def check(self, rule: RuleLike, *identifiers: str) -> None:
        """Raise RateLimited if the next attempt would be refused, without counting one."""
        await self._pass(self._strategy.test, rule, identifiers)

    async def _pass(
        self,
        allows: Callable[[RateLimitItem, str], Awaitable[bool]],
        rule: RuleLike,
        identifiers: tuple[str, ...],
    ) -> None:
        """Refuse at the first of the rule's limits that `allows` (hit or test) turns down."""
        key = _key(identifiers)
        async with _storage_errors():
            for item in _items(rule):
                if not await allows(item, key):
                    await self._refuse(item, key)

    async def note(self, rule: RuleLike, *identifiers: str) -> int:
        """Count one attempt that already happened, never refusing (a full window stays
        full); the attempts left before the rule refuses."""
        key = _key(identifiers)
        async with _storage_errors():
            for item in _items(rule):
                await self._strategy.hit(item, key)
        return await self.remaining(rule, *identifiers)

    async def remaining(self, rule: RuleLike, *identifiers: str) -> int:
        """Attempts left before the tightest of the rule's limits refuses."""
        key = _key(identifiers)
        async with _storage_errors():
            stats = [await self._strategy.get_window_stats(item, key) for item in _items(rule)]
        return max(0, min(stat.remaining for stat in stats))

    async def clear(self, rule: RuleLike, *identifiers: str) -> None:
        """Forget the attempts counted for these identifiers (e.g. after a good sign-in)."""
        key = _key(identifiers)
        async with _storage_errors():
            for item in _items(rule):
                await self._strategy.clear(item, key)

    @property
    def shared(self) -> bool:
        """Counts live in Redis (shared by processes), not in this process's memory."""
        return type(self.storage).__name__ != "MemoryStorage"

    async def hold(self, name: str, seconds: float, *identifiers: str) -> None:
        """Put a hold named `name` on the identifiers for `seconds` from now (whole seconds,
        at least one), replacing any earlier one."""
        key = f"hold/{name}/{_key(identifiers)}"
        async with _storage_errors():
            await self.storage.clear(key)
            await self.storage.incr(key, max(1, math.ceil(seconds)))

    async def held(self, name: str, *identifiers: str) -> float:
        """Seconds left of the hold `name` on the identifiers; 0 when there is none."""
        key = f"hold/{name}/{_key(identifiers)}"
        async with _storage_errors():
            if await self.storage.get(key) <= 0:
                return 0.0
            return max(0.0, await self.storage.get_expiry(key) - time.time())

    async def is_healthy(self) -> bool:
        """The counts' storage answers (a Redis PING), within a bounded time."""
        try:
            return await asyncio.wait_for(self.storage.check(), 3 * REDIS_TIMEOUT_SECONDS)
        except TimeoutError:
            return False

    async def close(self) -> None:
        """Release the Redis connections (nothing to do in memory)."""
        bridge = getattr(self.storage, "bridge", None)
        client = getattr(bridge, "storage", None)
        if client is not None:
            await client.aclose()

    async def _refuse(self, item: RateLimitItem, key: str) -> None:
        stats = await self._strategy.get_window_stats(item, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyAttempts(
            "Too many attempts: try again later",
            headers={"Retry-After": str(wait)},
        )


@asynccontextmanager
async def _storage_errors() -> AsyncIterator[None]:
    """Redis lost: the guarded action is refused with 503 and Retry-After (fail closed)."""
    try:
        yield
    except StorageError as exc:
        log.warning("rate_limit_storage_unavailable", error_type=type(exc.storage_error).__name__)
        raise Unavailable(
            "The service is briefly unavailable: try again in a moment",
            headers={"Retry-After": str(STORAGE_RETRY_AFTER)},
        ) from exc
