"""Engines, session factories and the declarative Base."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from linedesk.errors import LinedeskError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(cls: type[StrEnum], name: str) -> Enum:
    """A string enum stored as VARCHAR (no native type: adding a value needs no migration)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "checkin", _note_checkin)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


# A pooled connection that sat unused this long is tested before use (a database restart or
# a proxy's idle timeout may have closed it); one in steady use is not: SQLAlchemy's pre-ping
# would cost every request a round trip (and ~3 % of a primary-key read's CPU in the API).
IDLE_BEFORE_PING = 5.0
_CHECKED_IN = "linedesk_checked_in"


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in = record.info.get(_CHECKED_IN)
    if checked_in is None or time.monotonic() - checked_in < IDLE_BEFORE_PING:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:  # the pool then tries a fresh connection
        raise DisconnectionError("an idle pooled connection was closed") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions of routes that only read: each statement commits as it runs, so a request
    costs its queries' round trips and no BEGIN and COMMIT besides (two round trips, and
    PostgreSQL's work for them). Their one write, the session's last-seen time, is a single
    statement."""
    return create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


@asynccontextmanager
async def _unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Committed once when the endpoint returns, else rolled back (a user's mistake that
    keeps its changes, such as a revoked token family, commits them)."""
    async with sessionmaker() as session:
        try:
            yield session
        except (LinedeskError, RequestValidationError) as exc:
            if isinstance(exc, LinedeskError) and exc.keep_changes:
                await session.commit()
            else:
                # A user's mistake: undo the changes, but keep what was read loaded (detached)
                # so the error page can still show who is signed in.
                session.expunge_all()
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed once when the endpoint returns, else rolled back."""
    async with _unit_of_work(request.app.state.sessionmaker) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of a route that only reads (`create_read_sessionmaker`)."""
    async with _unit_of_work(request.app.state.read_sessionmaker) as session:
        yield session


__all__ = [
    "Base",
    "Engine",
    "UTCDateTime",
    "create_engine",
    "create_read_sessionmaker",
    "create_sessionmaker",
    "get_read_session",
    "get_session",
]
