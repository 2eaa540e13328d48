"""A pooled database connection closed while it sat idle (the database restarted, a proxy's
idle timeout) is found out before use and replaced: the next request gets its answer, not an
error. A connection in steady use is not tested first (no round trip more per request)."""

import pytest
from sqlalchemy import text

from linedesk import db
from linedesk.db import create_engine


async def _backend_of(engine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_an_idle_pooled_connection_that_was_closed_is_replaced(
    database_url, engine, monkeypatch: pytest.MonkeyPatch
):
    pooled = create_engine(database_url)
    try:
        if database_url.startswith("sqlite"):  # a file: no server closes its connections
            monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)
            async with pooled.connect() as connection:
                assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
            return
        first = await _backend_of(pooled)
        assert await _backend_of(pooled) == first  # in steady use: the same connection
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db, "IDLE_BEFORE_PING", 0.0)  # it has now been idle "long enough"
        replaced = await _backend_of(pooled)
        assert replaced != first
        assert await _backend_of(pooled) == replaced
    finally:
        await pooled.dispose()
