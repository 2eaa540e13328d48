"""Migrations go up from nothing, down to nothing, and up again."""

from sqlalchemy import inspect

from linedesk.db import create_engine
from linedesk.migrations import downgrade, upgrade


async def _tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        await upgrade(engine)
        assert {
            "companies",
            "billing_accounts",
            "offers",
            "lines",
            "sims",
            "api_keys",
        } <= await _tables(engine)
        await downgrade(engine, "base")
        assert await _tables(engine) <= {"alembic_version"}
        await upgrade(engine)
        assert "lines" in await _tables(engine)
    finally:
        await engine.dispose()
