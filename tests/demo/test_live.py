"""The embedded demo's live usage: the lines people sign in with get usage by themselves,
through the usage stream's batch code, and the pages open on them hear of it."""

from sqlalchemy import select

from linedesk.db import create_sessionmaker
from linedesk.demo.live import live_demo
from linedesk.kit.live import MemoryBus
from linedesk.usage.models import LineCounter, UsageRecord
from tests.dashboard.usage_rows import line_of
from tests.factories import make_user, make_world


async def test_the_demo_lines_usage_moves_by_itself(engine, session, settings, clock):
    world = await make_world(session, lines=1)
    await make_user(session, world)
    await session.commit()
    mine = world["numbers"][0]
    bus = MemoryBus()
    async with (
        bus.subscribe(mine) as page,
        live_demo(
            settings.model_copy(update={"demo_live_usage": True}),
            create_sessionmaker(engine),
            clock.now,
            bus,
        ) as broker,
    ):
        assert broker is not None
        assert await page.changed(within=10)
    line = await line_of(session, mine)
    counter = await session.scalar(select(LineCounter).where(LineCounter.line_id == line.id))
    assert counter is not None and counter.updated_at == clock.now()
    ids = list(await session.scalars(select(UsageRecord.record_id)))
    assert ids and all(record_id.startswith("live-") for record_id in ids)


async def test_off_unless_asked_for(engine, settings, clock):
    async with live_demo(settings, create_sessionmaker(engine), clock.now, MemoryBus()) as broker:
        assert broker is None
