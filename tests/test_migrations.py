"""Migrations go up from nothing, down to nothing, and up again; and at the head they build
exactly the schema the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from linedesk.all_models import Base
from linedesk.db import create_engine
from linedesk.migrations import COMPARE_OPTIONS, downgrade, upgrade


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


# Migration 0011 made these references BIGINT on SQLite too, where the models' ids and
# references are INTEGER (on PostgreSQL both are BIGINT). Known; left to a later migration.
SQLITE_ONLY = [
    ("modify_type", "line_offer_changes", "company_id"),
    ("modify_type", "line_offer_changes", "line_id"),
    ("modify_type", "line_offer_changes", "offer_id"),
    ("modify_type", "line_offer_changes", "previous_offer_id"),
    ("modify_type", "spending_cap_steps", "company_id"),
    ("modify_type", "spending_cap_steps", "line_id"),
]


def _differences(connection: Connection) -> list[tuple[str, ...]]:
    """What autogenerate would write to go from the migrated schema to the models': a
    column's change as (kind, table, column), any other change as (kind, its repr)."""
    context = MigrationContext.configure(
        connection, opts={"target_metadata": Base.metadata, **COMPARE_OPTIONS}
    )
    found: list[tuple[str, ...]] = []
    for difference in compare_metadata(context, Base.metadata):
        for change in difference if isinstance(difference, list) else [difference]:
            if change[0].startswith("modify_"):
                found.append((change[0], change[2], change[3]))
            else:
                found.append((change[0], repr(change[1:])))
    return sorted(found)


async def test_the_migrations_build_the_models_schema(fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == (SQLITE_ONLY if fresh_database_url.startswith("sqlite") else [])


async def test_the_migrations_set_the_models_storage_options(fresh_database_url):
    """The tables updated in place by every import keep room in their pages on PostgreSQL,
    as the models declare (SQLite has no storage options)."""
    declared = {
        table.name: {f"{key}={value}" for key, value in options.items()}
        for table in Base.metadata.tables.values()
        if (options := table.dialect_options["postgresql"]["with"])
    }
    assert declared == {"line_counters": {"fillfactor=70"}, "daily_usage": {"fillfactor=70"}}
    engine = create_engine(fresh_database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            if connection.dialect.name != "postgresql":
                return
            rows = await connection.exec_driver_sql(
                "SELECT relname, reloptions FROM pg_class WHERE reloptions IS NOT NULL "
                "AND relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
            found = {name: set(options) for name, options in rows}
    finally:
        await engine.dispose()
    assert found == declared
