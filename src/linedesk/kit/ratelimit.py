"""Rate limits with `limits`: in memory when embedded, in Redis so API processes share counts.

Every limit is a moving window: "3 per hour" means at most 3 in any 60 minutes, so
Retry-After is exactly the time until the oldest counted attempt leaves the window.
"""

import hashlib
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse_many
from limits.aio.storage import MovingWindowSupport, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from linedesk.errors import TooManyAttempts

MEMORY = "memory://"


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
# people behind one address.
SIGN_IN_PER_USERNAME = Rule.parse("sign_in_username", "10 per 15 minutes")
SIGN_IN_PER_ADDRESS = Rule.parse("sign_in_address", "100 per 15 minutes")
CODE_SEND_PER_NUMBER = Rule.parse("code_send_number", "5 per hour; 10 per day")
CODE_SEND_PER_ADDRESS = Rule.parse("code_send_address", "20 per hour; 100 per day")
CODE_VERIFY_PER_NUMBER = Rule.parse("code_verify_number", "10 per hour")
CODE_VERIFY_PER_ADDRESS = Rule.parse("code_verify_address", "50 per hour")
PUK_TRIES_PER_LINE = Rule.parse("puk_line", "3 per hour")
TOTP_TRIES_PER_USER = Rule.parse("totp_user", "5 per 15 minutes")

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        SIGN_IN_PER_USERNAME,
        SIGN_IN_PER_ADDRESS,
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
        options: dict[str, str | bool] = {}
        if uri.startswith(("async+redis", "async+rediss")):
            # redis-py's asyncio client; errors surface as limits.errors.StorageError.
            options = {"implementation": "redispy", "key_prefix": key_prefix,
                       "wrap_exceptions": True}
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
        key = _key(identifiers)
        for item in _items(rule):
            if not await self._strategy.hit(item, key):
                await self._refuse(item, key)

    async def check(self, rule: RuleLike, *identifiers: str) -> None:
        """Raise RateLimited if the next attempt would be refused, without counting one."""
        key = _key(identifiers)
        for item in _items(rule):
            if not await self._strategy.test(item, key):
                await self._refuse(item, key)

    async def remaining(self, rule: RuleLike, *identifiers: str) -> int:
        """Attempts left before the tightest of the rule's limits refuses."""
        key = _key(identifiers)
        stats = [await self._strategy.get_window_stats(item, key) for item in _items(rule)]
        return max(0, min(stat.remaining for stat in stats))

    async def clear(self, rule: RuleLike, *identifiers: str) -> None:
        """Forget the attempts counted for these identifiers (e.g. after a good sign-in)."""
        key = _key(identifiers)
        for item in _items(rule):
            await self._strategy.clear(item, key)

    async def is_healthy(self) -> bool:
        return await self.storage.check()

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
