"""Passwords (SPEC R-A8): the policy, argon2id hashing off the event loop, generated passwords.

The policy follows NIST SP 800-63B: a length of 12 to 128 code points, any characters, no
composition rules, and a check against passwords known from breaches (zxcvbn's list of the
30,000 most frequent leaked passwords) and against easily guessed patterns.
"""

import asyncio
import contextlib
import os
import secrets
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from linedesk.config import Settings
from linedesk.errors import ServiceBusy, ValidationFailed

T = TypeVar("T")

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn scores 0-4; 3 means about 10^8 guesses or more, out of reach of an online attack
# and of a quick offline one against argon2id.
MIN_STRENGTH_SCORE = 3

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB (in KiB), t=2, p=1.
TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1

# Generated passwords avoid look-alike characters (0/O, 1/l/I): they are read off a screen.
_GENERATED_ALPHABET = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789"
_GENERATED_GROUPS = 4
_GENERATED_GROUP_LENGTH = 5


def _weak(message: str) -> ValidationFailed:
    return ValidationFailed(
        message, code="weak_password", details=[{"field": "password", "reason": message}]
    )


def normalize(password: str) -> str:
    """NFKC, so the same password typed on different keyboards gives the same hash."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The leaked-password list, case-folded; loaded once, on first use."""
    return frozenset(password.casefold() for password in FREQUENCY_LISTS["passwords"])


def check_length(password: str) -> None:
    """Length in code points as typed; runs before anything expensive."""
    length = len(password)
    if length < MIN_LENGTH:
        raise _weak(f"The password must be at least {MIN_LENGTH} characters long.")
    if length > MAX_LENGTH:
        raise _weak(f"The password must be at most {MAX_LENGTH} characters long.")


def check_password_policy(password: str, username: str | None = None) -> None:
    """Raise ValidationFailed(code="weak_password") unless the password may be used."""
    check_length(password)
    folded = normalize(password).casefold()
    if username and folded == normalize(username).casefold():
        raise _weak("The password must not be the same as the username.")
    if folded in common_passwords():
        raise _weak("This password is too common: it appears in lists of leaked passwords.")
    strength = zxcvbn(
        normalize(password), user_inputs=_user_inputs(username), max_length=MAX_LENGTH
    )
    if strength["score"] < MIN_STRENGTH_SCORE:
        raise _weak(
            "This password is too easy to guess: avoid repeated words, sequences, "
            "keyboard patterns and your own details."
        )


def _user_inputs(username: str | None) -> list[str]:
    # A number as username is also guessable in its national form: +393331234567 → 3331234567.
    if not username:
        return []
    return [username, username.removeprefix("+"), username.removeprefix("+39")]


def generate_password() -> str:
    """A password for a recovery, shown once: 20 random characters in groups, ~114 bits."""
    while True:
        groups = (
            "".join(secrets.choice(_GENERATED_ALPHABET) for _ in range(_GENERATED_GROUP_LENGTH))
            for _ in range(_GENERATED_GROUPS)
        )
        password = "-".join(groups)
        try:
            check_password_policy(password)
        except ValidationFailed:  # astronomically rare; draw again rather than weaken
            continue
        return password


HASH_THREAD_NICENESS = 10


def _lower_priority() -> None:
    """Hashing threads yield the CPU to request handling and the database: under a flood
    of sign-ins the hashes slow down (and the queue fills, so more are refused), not reads."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


class PasswordHasher:
    """argon2id in a small thread pool. A semaphore bounds how many hashes run at once and a
    short queue how many may wait; beyond that a sign-in is refused at once (503), so a flood
    neither starves the CPU nor holds database connections while it waits."""

    def __init__(self, concurrency: int = 2, max_waiting: int = 8) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._max_waiting = max_waiting
        self._waiting = 0
        self._argon2 = argon2.PasswordHasher(
            time_cost=TIME_COST,
            memory_cost=MEMORY_COST_KIB,
            parallelism=PARALLELISM,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        self._executor = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="password-hash", initializer=_lower_priority
        )
        self._slots = asyncio.Semaphore(concurrency)
        # Made now, so even the first unknown user costs exactly one verification.
        self._dummy_hash = self._argon2.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: Settings) -> "PasswordHasher":
        return cls(settings.password_hash_concurrency, settings.password_hash_queue)

    async def hash(self, password: str, *, username: str | None = None) -> str:
        """Check the policy, then hash; the encoded hash carries its own parameters."""
        check_password_policy(password, username)
        return await self._run(self._argon2.hash, normalize(password))

    async def rehash(self, password: str) -> str:
        """Hash a password already in use (just verified) with today's parameters: no policy
        check, which could refuse a password that an older policy allowed."""
        return await self._run(self._argon2.hash, normalize(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        """True for the right password; False for a wrong one, never an exception."""
        if len(password) > MAX_LENGTH:
            return False  # no such password can have been set; refuse without the work
        try:
            return await self._run(self._argon2.verify, password_hash, normalize(password))
        except InvalidHashError:
            # A damaged hash: answer as for a wrong password, after the same work.
            await self.verify_dummy(password)
            return False
        except VerificationError:
            return False

    async def verify_dummy(self, password: str = "") -> None:
        """Spend the time of a verification, for a user that does not exist."""
        if len(password) > MAX_LENGTH:
            return
        with contextlib.suppress(VerificationError):
            await self._run(self._argon2.verify, self._dummy_hash, normalize(password))

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters: rehash after a good sign-in."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def ensure_capacity(self) -> None:
        """Refuse at once (503) when every slot is busy and the queue is full: sign-in
        routes call this before any other work, so a flood costs next to nothing."""
        if self._slots.locked() and self._waiting >= self._max_waiting:
            raise ServiceBusy(
                "Too many sign-ins right now: try again in a moment", headers={"Retry-After": "1"}
            )

    async def _run(self, function: Callable[..., T], *args: str) -> T:
        self.ensure_capacity()
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, function, *args)
        finally:
            self._slots.release()
