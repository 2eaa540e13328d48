"""A named lock held by one process at a time, so that a job started twice (two schedulers,
two API processes with the embedded scheduler) runs once: a PostgreSQL advisory lock, or on
SQLite a lock on a file beside the database (SQLite lives on one host)."""

import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

try:  # POSIX; elsewhere the SQLite lock is a no-op (one process is the embedded mode)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock, from the lock's name."""
    digest = hashlib.sha256(f"linedesk:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Try to take the lock `name` without waiting; yields whether this process holds it.
    The lock ends with the block, or with the process (a killed holder frees it)."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine, name) as held:
            yield held
    else:
        with _file_lock(engine.url.database, name) as held:
            yield held


@asynccontextmanager
async def _advisory_lock(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    # A session-level lock on a connection of its own, in autocommit: no transaction stays
    # open while the job runs, and closing the connection frees the lock.
    key = lock_key(name)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(
            await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        )
        try:
            yield held
        finally:
            if held:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextmanager
def _file_lock(database: str | None, name: str) -> Iterator[bool]:
    if fcntl is None or not database or database == ":memory:":
        yield True
        return
    path = Path(database).with_name(f"{Path(database).name}.{name}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
