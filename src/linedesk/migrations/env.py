"""Alembic environment: reuses a given connection, or opens the configured async engine."""

import asyncio

from alembic import context
from sqlalchemy import Connection

from linedesk.all_models import Base
from linedesk.config import get_settings
from linedesk.db import create_engine
from linedesk.migrations import COMPARE_OPTIONS

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        **COMPARE_OPTIONS,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_engine(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url
    asyncio.run(_run_with_engine(url))
