"""Passwords (SPEC R-A8): the policy, argon2id hashes, bounded hashing, equal timing."""

import asyncio
import statistics
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import argon2
import pytest

from linedesk.config import Settings
from linedesk.errors import ValidationFailed
from linedesk.identity.passwords import (
    MAX_LENGTH,
    PasswordHasher,
    check_password_policy,
    common_passwords,
    generate_password,
)

STRONG = "violet-harbour-47-kettle"


class CountingArgon2(argon2.PasswordHasher):
    """The real argon2 hasher, counting the calls and how many run at the same time."""

    def __init__(self) -> None:
        super().__init__(time_cost=2, memory_cost=19456, parallelism=1, type=argon2.Type.ID)
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def _enter(self) -> None:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)

    def _leave(self) -> None:
        with self._lock:
            self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._enter()
        try:
            return super().hash(password, salt=salt)
        finally:
            self._leave()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self._enter()
        try:
            return super().verify(hash, password)
        finally:
            self._leave()


@pytest.fixture
async def hasher() -> AsyncIterator[PasswordHasher]:
    hasher = PasswordHasher(concurrency=2)
    yield hasher
    hasher.close()


def _refusal(password: str, username: str | None = None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        check_password_policy(password, username)
    assert refused.value.code == "weak_password"
    assert refused.value.status_code == 422
    return refused.value


# The policy ---------------------------------------------------------------------------


def test_eleven_characters_are_refused_and_twelve_accepted():
    eleven = "kettle-47-v"
    assert len(eleven) == 11
    assert "at least 12 characters" in _refusal(eleven).message
    check_password_policy(eleven + "i")


def test_a_common_password_is_refused_in_any_case():
    assert "qwerty123456" in common_passwords()
    assert len(common_passwords()) > 25_000
    for password in ("qwerty123456", "QWERTY123456", "1Qaz2Wsx3Edc"):
        assert "too common" in _refusal(password).message


def test_a_guessable_password_is_refused():
    for password in ("passwordpassword", "aaaaaaaaaaaa", "123456789012", "juventus1897"):
        assert "too easy to guess" in _refusal(password).message


def test_the_username_is_not_a_password():
    assert "same as the username" in _refusal("Mario.Rossi.1980", "mario.rossi.1980").message
    # a number as username is also refused inside a password, in its national form
    _refusal("3331234567ab", "+393331234567")


def test_unicode_passwords_are_accepted():
    check_password_policy("città-di-mare-è-blu")
    check_password_policy("Пароль-для-входа")
    check_password_policy("私のパスワードは安全です")


def test_length_counts_code_points():
    check_password_policy("私のパスワードは安全です")  # 12 code points, 36 bytes in UTF-8
    _refusal("私のパスワードは安全で")  # 11 code points


async def test_128_characters_are_accepted_and_129_refused_before_hashing():
    hasher = PasswordHasher()
    spy = CountingArgon2()
    hasher._argon2 = spy
    longest = ("kettle-47-violet-harbour-" * 6)[:MAX_LENGTH]
    assert len(longest) == 128
    encoded = await hasher.hash(longest)
    assert await hasher.verify(encoded, longest)
    spy.calls = 0
    with pytest.raises(ValidationFailed, match="at most 128"):
        await hasher.hash(longest + "x")
    started = time.perf_counter()
    with pytest.raises(ValidationFailed):
        await hasher.hash("x" * 1_000_000)
    assert time.perf_counter() - started < 0.05
    assert not await hasher.verify(encoded, "x" * 1_000_000)
    assert spy.calls == 0
    hasher.close()


# Hashing ------------------------------------------------------------------------------


async def test_hashes_are_argon2id_with_owasp_parameters_in_the_hash(hasher: PasswordHasher):
    encoded = await hasher.hash(STRONG)
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert encoded != await hasher.hash(STRONG)  # salted
    assert not hasher.needs_rehash(encoded)


async def test_verify_tells_right_from_wrong_without_raising(hasher: PasswordHasher):
    encoded = await hasher.hash(STRONG)
    assert await hasher.verify(encoded, STRONG) is True
    assert await hasher.verify(encoded, STRONG.upper()) is False
    assert await hasher.verify(encoded, "") is False
    assert await hasher.verify("not-a-hash", STRONG) is False
    assert await hasher.verify("", STRONG) is False


async def test_the_password_is_nfkc_normalised(hasher: PasswordHasher):
    encoded = await hasher.hash("Cafe\u0301-au-lait-ogni-mattina")  # e + combining accent
    assert await hasher.verify(encoded, "Café-au-lait-ogni-mattina")  # precomposed é
    fullwidth = await hasher.hash("ｖｉｏｌｅｔ－ｈａｒｂｏｕｒ－４７")
    assert await hasher.verify(fullwidth, "violet-harbour-47")


async def test_the_username_rule_applies_when_hashing(hasher: PasswordHasher):
    with pytest.raises(ValidationFailed):
        await hasher.hash("Mario.Rossi.1980", username="mario.rossi.1980")


async def test_hashes_with_other_parameters_need_rehashing(hasher: PasswordHasher):
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG)
    assert await hasher.verify(weaker, STRONG)
    assert hasher.needs_rehash(weaker)
    assert hasher.needs_rehash("not-a-hash")


async def test_hashing_is_bounded_and_keeps_the_event_loop_free():
    hasher = PasswordHasher(concurrency=2)
    spy = CountingArgon2()
    hasher._argon2 = spy
    encoded = spy.hash(STRONG)
    spy.most_at_once = 0
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - before - 0.005)

    ticking = asyncio.create_task(ticker())
    results = await asyncio.gather(
        *(hasher.verify(encoded, f"wrong-{i}-password") for i in range(8))
    )
    ticking.cancel()
    assert results == [False] * 8
    assert spy.most_at_once == 2
    # the loop kept answering while 8 hashes ran (the median tick: a loaded machine may delay
    # one tick, a hash on the loop would delay most of them)
    assert len(lags) > 5 and sorted(lags)[len(lags) // 2] < 0.05
    hasher.close()


async def test_an_unknown_user_costs_the_same_time_as_a_wrong_password(hasher: PasswordHasher):
    """Tolerance: the median of 7 dummy verifications is within ±35% of the median of 7
    real verifications of a wrong password (each ~15-60 ms of argon2id here)."""
    encoded = await hasher.hash(STRONG)
    await hasher.verify(encoded, "warm-up-password")
    real: list[float] = []
    dummy: list[float] = []
    for _ in range(7):  # interleaved, so a slow moment of the machine hits both
        started = time.perf_counter()
        await hasher.verify(encoded, "wrong-password-1")
        real.append(time.perf_counter() - started)
        started = time.perf_counter()
        await hasher.verify_dummy("wrong-password-1")
        dummy.append(time.perf_counter() - started)
    real_median, dummy_median = statistics.median(real), statistics.median(dummy)
    assert abs(dummy_median - real_median) <= 0.35 * real_median, (real_median, dummy_median)


def test_the_concurrency_comes_from_the_settings(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("LINEDESK_PASSWORD_HASH_CONCURRENCY", "3")
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.password_hash_concurrency == 3
    hasher = PasswordHasher.from_settings(settings)
    assert hasher._executor._max_workers == 3
    hasher.close()
    assert (
        Settings(
            _env_file=None, data_dir=tmp_path, password_hash_concurrency=2
        ).password_hash_concurrency
        == 2
    )


# Generated passwords ------------------------------------------------------------------


async def test_generated_passwords_are_long_random_and_pass_the_policy(hasher: PasswordHasher):
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 16
        check_password_policy(password)
        assert not set(password) & set("0O1lI")
    one = passwords.pop()
    assert await hasher.verify(await hasher.hash(one), one)
