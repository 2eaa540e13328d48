"""In a real browser: the employee's home updates by itself when a usage record is published on
the stream (in memory, or on the real NATS when LINEDESK_TEST_NATS_URL is set)."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from linedesk.alerts.service import Thresholds, alerts_hook
from linedesk.db import create_sessionmaker
from linedesk.kit.broker import Broker, MemoryBroker
from linedesk.usage.stream import StreamConfig, UsageConsumer
from tests.conftest import NOW
from tests.factories import make_user, make_world
from tests.usage.test_stream import NATS_URL, forget_stream, nats_broker
from tests.web.journeys import sign_in

pytestmark = pytest.mark.browser
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def stream() -> AsyncIterator[tuple[Broker, StreamConfig]]:
    tag = uuid.uuid4().hex[:10]
    config = StreamConfig(
        stream=f"USAGE_TEST_{tag}",
        subject=f"usage-test-{tag}.records",
        dead_letter_subject=f"usage-test-{tag}.dead",
        durable=f"test-{tag}",
        batch_ms=50,
    )
    if not NATS_URL:
        yield MemoryBroker(), config
        return
    broker = await nats_broker()
    yield broker, config
    await forget_stream(broker, config.stream)
    await broker.close()


async def test_the_home_updates_by_itself_when_a_record_is_published(
    stoppable_server, page, session, engine, stream
):
    broker, config = stream
    world = await make_world(session, lines=1)
    await make_user(session, world)
    await session.commit()
    mine = world["numbers"][0]
    app = stoppable_server.app  # its bus lives in the server's thread; publishing reaches it
    consumer = UsageConsumer(
        broker,
        create_sessionmaker(engine),
        lambda: NOW,
        config,
        app.state.live.publish,
        on_counters=alerts_hook(Thresholds()),
    )
    await consumer.start()

    await sign_in(page, stoppable_server.url, mine)
    await page.goto(f"{stoppable_server.url}/home")
    assert await page.get_by_text("Nessun consumo questo mese").is_visible()
    await page.wait_for_selector("html[data-live='on']")  # listening
    await page.evaluate("window.notReloaded = true")

    record = {
        "record_id": "live-1",
        "line": mine,
        "started_at": AT.isoformat(),
        "type": "sms",
        "quantity": 3,
    }
    await broker.publish(config.subject, (json.dumps(record) + "\n").encode())
    assert (await consumer.step(idle=5)).imported == 1

    updated = page.locator("p.updated").get_by_text("Aggiornato il 20/11/2026 alle 10:30")
    await updated.wait_for(state="visible", timeout=10_000)
    assert await page.get_by_text("3 SMS su 100 SMS").is_visible()
    assert await page.evaluate("window.notReloaded") is True
    assert (
        await page.locator("[data-live-status]").text_content()
        == "Aggiornato il 20/11/2026 alle 10:30"
    )
