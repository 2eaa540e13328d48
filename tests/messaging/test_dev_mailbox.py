"""The development mailbox: JSON, page and CLI; absent in production."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from linedesk.app import create_app
from linedesk.cli import app as cli
from linedesk.config import Environment, Settings, get_settings
from linedesk.db import create_engine, create_sessionmaker
from linedesk.messaging.channels.capture import CaptureSender
from linedesk.messaging.models import Channel
from linedesk.messaging.worker import OutboxWorker
from linedesk.ops.logging import configure_logging
from tests.conftest import TEST_SECRET
from tests.messaging.conftest import advance, put

runner = CliRunner()
REDIS = "redis://127.0.0.1:6379/0"


async def deliver_two(sessionmaker: async_sessionmaker[AsyncSession], worker: OutboxWorker) -> None:
    await put(sessionmaker, Channel.email, "giulia@example.it", language="en")
    await worker.run_until_idle()
    advance(worker.clock, 5)  # type: ignore[arg-type]
    await put(sessionmaker, Channel.sms, "+393471234567")
    await worker.run_until_idle()


async def test_the_mailbox_lists_captured_messages_newest_first(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], make_worker: object
) -> None:
    worker = make_worker(dict.fromkeys(Channel, CaptureSender(sessionmaker)))  # type: ignore[operator]
    await deliver_two(sessionmaker, worker)
    response = await client.get("/api/v1/dev/outbox")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "2"
    newest, oldest = response.json()
    assert (newest["channel"], newest["recipient"], newest["subject"]) == (
        "sms",
        "+393471234567",
        None,
    )
    assert newest["text"] == "linedesk: messaggio di prova per Giulia. Nota di prova."
    assert (oldest["channel"], oldest["subject"]) == ("email", "Test message from linedesk")
    assert newest["time"].endswith("Z") or "+00:00" in newest["time"]
    page = await client.get("/dev/outbox")
    assert page.status_code == 200
    assert "Test message from linedesk" in page.text and "+393471234567" in page.text


async def test_there_is_no_mailbox_in_production(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        env=Environment.production,
        database_url=database_url.replace("sqlite", "postgresql")
        if database_url.startswith("sqlite")
        else database_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET,
        log_level="WARNING",
        redis_url=REDIS,
    )
    settings.database_url = database_url  # the validator ran; serve the test database
    application = create_app(settings)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/api/v1/dev/outbox")).status_code == 404
        assert (await http.get("/dev/outbox")).status_code == 404
    await application.state.engine.dispose()


def test_production_refuses_the_capture_mailbox() -> None:
    with pytest.raises(ValidationError, match="LINEDESK_MESSAGING_CAPTURE"):
        Settings(
            env=Environment.production,
            database_url="postgresql+asyncpg://db/x",
            secret_key=TEST_SECRET,
            messaging_capture=True,
            redis_url=REDIS,
        )
    production = Settings(
        env=Environment.production,
        database_url="postgresql+asyncpg://db/x",
        secret_key=TEST_SECRET,
        redis_url=REDIS,
    )
    assert not production.captures_messages and not production.runs_embedded_worker
    assert Settings(secret_key=TEST_SECRET).captures_messages


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: object, tmp_path: Path
) -> Iterator[str]:
    monkeypatch.setenv("LINEDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LINEDESK_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("LINEDESK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()
    configure_logging("WARNING")  # the command logged to the runner's stream, now closed


def test_the_worker_and_mailbox_commands(cli_env: str) -> None:
    async def _enqueue() -> None:
        engine = create_engine(cli_env)
        try:
            await put(create_sessionmaker(engine), Channel.email, "giulia@example.it")
        finally:
            await engine.dispose()

    asyncio.run(_enqueue())
    worked = runner.invoke(cli, ["worker", "--once"])
    assert worked.exit_code == 0, worked.output
    assert "Processed 1 message(s)." in worked.output
    listed = runner.invoke(cli, ["outbox", "list"])
    assert listed.exit_code == 0 and "giulia@example.it" in listed.output
    status = runner.invoke(cli, ["outbox", "status", "--status", "sent"])
    assert status.exit_code == 0 and "test_message" in status.output


def test_push_keys_prints_a_usable_pair() -> None:
    result = runner.invoke(cli, ["push", "keys"])
    assert result.exit_code == 0
    assert "LINEDESK_VAPID_PRIVATE_KEY=" in result.output


async def test_the_embedded_worker_delivers_while_the_app_runs(
    engine: object,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessionmaker, Channel.sms, "+393471234567")
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for _ in range(100):
                listed = (await http.get("/api/v1/dev/outbox")).json()
                if listed:
                    break
                await asyncio.sleep(0.05)
    assert [m["recipient"] for m in listed] == ["+393471234567"]
