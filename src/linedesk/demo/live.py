"""The embedded demo's live usage: a generator publishes small usage records for the lines
people sign in with, on an in-process stream, and the usage consumer imports them through the
same batch code as the real stream, so a newcomer sees the counters move by themselves."""

import asyncio
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.identity.models import User
from linedesk.inventory.models import Line, LineStatus
from linedesk.kit.broker import Broker, MemoryBroker
from linedesk.kit.live import LiveBus
from linedesk.kit.phone import LineKind
from linedesk.lineactions.caps import usage_hook
from linedesk.usage.stream import StreamConfig, UsageConsumer

log = logging.getLogger(__name__)
EVERY_SECONDS = 3.0
LINES = 20  # the main lines of the first users: the ones a visitor signs in with


async def _lines(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, LineKind]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Line.msisdn, Line.kind)
            .join(User, User.main_line_id == Line.id)
            .where(Line.status == LineStatus.active)
            .order_by(User.id)
            .limit(LINES)
        )
        return [(msisdn, kind) for msisdn, kind in rows]


def _record(msisdn: str, kind: LineKind, now: datetime, chance: random.Random) -> dict[str, object]:
    kind_of_use = (
        "voice"
        if kind is LineKind.fixed
        else chance.choice(["data", "data", "data", "voice", "sms"])
    )
    quantity = {
        "data": chance.randint(200_000, 3_000_000),
        "voice": chance.randint(20, 240),
        "sms": 1,
    }[kind_of_use]
    return {
        "record_id": f"live-{uuid.uuid4().hex}",
        "line": msisdn,
        "started_at": now.isoformat(),
        "type": kind_of_use,
        "quantity": quantity,
    }


async def generate(
    broker: Broker,
    subject: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    stop: asyncio.Event,
) -> None:
    """A record for one or two of the lines every few seconds, until `stop`."""
    chance = random.Random()
    lines: list[tuple[str, LineKind]] = []
    while not stop.is_set():
        try:
            lines = lines or await _lines(sessionmaker)
            if lines:
                picked = chance.sample(lines, min(len(lines), chance.randint(1, 2)))
                body = "".join(
                    json.dumps(_record(msisdn, kind, clock(), chance)) + "\n"
                    for msisdn, kind in picked
                )
                await broker.publish(subject, body.encode())
        except Exception:  # the demo's database busy or not loaded yet: try again later
            log.warning("demo live usage: could not publish", exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), EVERY_SECONDS)
        except TimeoutError:
            continue


@asynccontextmanager
async def live_demo(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    bus: LiveBus,
) -> AsyncIterator[Broker | None]:
    """The in-process stream, its consumer and the generator, while the context is open (if
    the settings ask for the demo's live usage)."""
    if not settings.runs_demo_live_usage:
        yield None
        return
    broker = MemoryBroker()
    config = StreamConfig(batch_records=1000, batch_ms=100)
    consumer = UsageConsumer(
        broker, sessionmaker, clock, config, bus.publish, on_counters=usage_hook(settings)
    )
    await consumer.start()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(consumer.run(stop), name="demo-usage-consumer"),
        asyncio.create_task(
            generate(broker, config.subject, sessionmaker, clock, stop), name="demo-usage-generator"
        ),
    ]
    try:
        yield broker
    finally:
        stop.set()
        await asyncio.gather(*tasks)
