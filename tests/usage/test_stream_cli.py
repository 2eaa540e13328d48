"""`linedesk usage consume`: reads the stream named by the settings (the real NATS when
LINEDESK_TEST_NATS_URL is set), and refuses to start without a NATS URL."""

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from linedesk.cli import app
from linedesk.config import get_settings
from linedesk.ops.logging import configure_logging
from linedesk.usage.models import UsageRecord
from linedesk.usage.stream import StreamConfig
from tests.conftest import TEST_SECRET
from tests.usage.test_stream import NATS_URL, forget_stream, nats_broker

runner = CliRunner()


@pytest.fixture
def consume_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: object, tmp_path: object
) -> Iterator[StreamConfig]:
    tag = uuid.uuid4().hex[:10]
    config = StreamConfig(
        stream=f"USAGE_TEST_{tag}",
        subject=f"usage-test-{tag}.records",
        dead_letter_subject=f"usage-test-{tag}.dead",
        durable=f"test-{tag}",
    )
    for name, value in {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "DATA_DIR": str(tmp_path),
        "NATS_URL": NATS_URL,
        "USAGE_STREAM": config.stream,
        "USAGE_SUBJECT": config.subject,
        "USAGE_DEAD_LETTER_SUBJECT": config.dead_letter_subject,
        "USAGE_DURABLE": config.durable,
        "REDIS_URL": "",
    }.items():
        monkeypatch.setenv(f"LINEDESK_{name}", value)
    get_settings.cache_clear()
    yield config
    get_settings.cache_clear()
    configure_logging("WARNING")  # the command logged to the runner's stream, now closed


def test_without_a_nats_url_there_is_nothing_to_consume(consume_env, monkeypatch):
    monkeypatch.setenv("LINEDESK_NATS_URL", "")
    get_settings.cache_clear()
    result = runner.invoke(app, ["usage", "consume"])
    assert result.exit_code == 2
    assert "LINEDESK_NATS_URL is not set" in result.output


async def consume_imports_what_was_published_then_stops_when_idle(
    consume_env, session, usage_world
):
    postpaid = usage_world.numbers["postpaid"]
    broker = await nats_broker()
    config = consume_env
    await broker.ensure_stream(config.stream, [config.subject, config.dead_letter_subject])
    body = "".join(
        json.dumps(
            {
                "record_id": f"cli-{n}",
                "line": postpaid,
                "type": "sms",
                "started_at": "2026-11-05T12:00:00Z",
                "quantity": 1,
            }
        )
        + "\n"
        for n in range(3)
    )
    await broker.publish(config.subject, body.encode())
    await broker.publish(config.subject, b"not json")
    try:
        result = await asyncio.to_thread(
            runner.invoke, app, ["usage", "consume", "--until-idle", "1.5"]
        )
    finally:
        await forget_stream(broker, config.stream)
        await broker.close()
    assert result.exit_code == 0, result.output
    assert "Imported 3 record(s); 1 message(s) dead-lettered" in result.output
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 3


if NATS_URL:  # the command reads NATS only: this one exists where a server is (CI sets it)
    test_consume_imports_what_was_published_then_stops_when_idle = (
        consume_imports_what_was_published_then_stops_when_idle
    )
