"""What a client sees of an answer, and what the database did for it: to compare the answers
for a known and an unknown account byte for byte, and the statements run for them."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from linedesk.identity.passwords import PasswordHasher
from tests.identity.helpers import PASSWORD

_HASHES: list[str] = []


async def password_hash() -> str:
    """An argon2id hash of helpers.PASSWORD, made once: many users without the work each."""
    if not _HASHES:
        hasher = PasswordHasher(1)
        try:
            _HASHES.append(await hasher.hash(PASSWORD, username="someone"))
        finally:
            hasher.close()
    return _HASHES[0]


# Differ at every request by design, whoever asks.
PER_REQUEST_HEADERS = {"x-request-id", "date"}


def seen_by_client(response: httpx.Response, *per_request: str) -> tuple[int, list, bytes]:
    """Status, headers and body bytes; the per-request values (a ticket's random id, a CSRF
    token) masked, so that anything else that differs shows."""
    body = response.content
    # A compressed body's length follows the random values in it: the body itself is
    # compared (decompressed, with those values masked) instead.
    varying = PER_REQUEST_HEADERS | (
        {"content-length"} if response.headers.get("content-encoding") else set()
    )
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in varying
    ]
    for value in per_request:
        body = body.replace(value.encode(), b"<per-request>")
        headers = [(name, text.replace(value, "<per-request>")) for name, text in headers]
    return response.status_code, headers, body


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block, in order (not their
    parameters)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def without_outbox(seen: list[str]) -> list[str]:
    """The statements but the one that stores a message: a known user gets one (the code or
    why there is none), an unknown one cannot."""
    return [
        statement for statement in seen if not statement.startswith("INSERT INTO outbox_messages")
    ]
