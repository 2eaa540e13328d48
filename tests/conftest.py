"""Fixtures: a real database (SQLite, or PostgreSQL with LINEDESK_TEST_DATABASE_URL), the app,
an HTTP client, a back-office key. Tables are emptied after every test."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from linedesk.all_models import Base
from linedesk.app import create_app
from linedesk.backoffice.service import create_api_key
from linedesk.config import Settings
from linedesk.db import create_engine, create_sessionmaker
from linedesk.kit.clock import FrozenClock
from linedesk.kit.ratelimit import RateLimiter
from linedesk.migrations import upgrade

TEST_SECRET = "test-secret-key-0123456789abcdef-not-for-production"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _postgres_url() -> str | None:
    return os.environ.get("LINEDESK_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _postgres_url()
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


async def _drop_everything(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The schema comes from the Alembic migrations, so every test run also tests them."""
    engine = create_engine(database_url)
    await _drop_everything(engine)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with create_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_level="WARNING",
        demo_live_usage=False,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def app(engine: AsyncEngine, settings: Settings, clock: FrozenClock) -> AsyncIterator:
    """The app as served. With LINEDESK_TEST_REDIS_URL (CI) its rate limits count in the real
    Redis, under a key prefix of its own so that tests do not share counts."""
    application = create_app(settings, clock=clock)
    redis_url = os.environ.get("LINEDESK_TEST_REDIS_URL")
    if redis_url:
        await application.state.limiter.close()
        application.state.limiter = RateLimiter(redis_url, key_prefix=f"test-{uuid.uuid4().hex}")
    yield application
    await application.state.limiter.close()
    await application.state.engine.dispose()


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


@pytest.fixture
async def api_key(session: AsyncSession) -> str:
    key = await create_api_key(session, f"test-{uuid.uuid4().hex[:8]}", NOW)
    await session.commit()
    return key


@pytest.fixture
async def backoffice(client: httpx.AsyncClient, api_key: str) -> httpx.AsyncClient:
    client.headers["Authorization"] = f"Bearer {api_key}"
    return client


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import asyncio

    import asyncpg

    url = make_url(database_url)
    name = f"linedesk_fresh_{uuid.uuid4().hex[:8]}"
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )

    async def _admin(statement: str) -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def mailbox(engine: AsyncEngine, settings: Settings, clock: FrozenClock, client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    """Deliver what is in the outbox to the development mailbox, then read it as a developer
    would (GET /api/v1/dev/outbox), newest first, for one recipient."""
    from linedesk.messaging.worker import OutboxWorker

    async def read(recipient: str) -> list[dict]:  # type: ignore[type-arg]
        worker = OutboxWorker.from_settings(settings, create_sessionmaker(engine), clock)
        try:
            await worker.run_until_idle()
        finally:
            await worker.close()
        response = await client.get("/api/v1/dev/outbox", params={"limit": 500})
        assert response.status_code == 200, response.text
        return [m for m in response.json() if m["recipient"] == recipient]

    return read


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> Iterator[None]:
    """The `linedesk` command's environment: the test database, the test secret."""
    from linedesk.config import get_settings

    monkeypatch.setenv("LINEDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LINEDESK_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("LINEDESK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
