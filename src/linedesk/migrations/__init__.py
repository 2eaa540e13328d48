"""Alembic migrations, run in-process (serve, `linedesk migrate`) on the app's own engine."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from linedesk.kit.locks import lock_key

MIGRATIONS_DIR = Path(__file__).resolve().parent

# How autogenerate compares the database with the models (env.py, tests/test_migrations.py).
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True}


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def _run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two upgrades at once (API processes starting beside `linedesk migrate`): the
            # second waits for the first to commit, then finds nothing left to do.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("migrations")}
            )
        await connection.run_sync(_run)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def _run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_run)
