"""A file import tells the live bus, after each batch commits, the lines of that batch."""

from collections.abc import Collection
from pathlib import Path

from sqlalchemy import select

from linedesk.db import create_sessionmaker
from linedesk.kit.live import LiveBus
from linedesk.kit.phone import stored_number
from linedesk.usage.files import read_file
from linedesk.usage.live import Announced
from linedesk.usage.models import LineCounter, UsageRecord
from linedesk.usage.service import import_batches
from tests.conftest import NOW
from tests.usage.conftest import HEADER


class HeardBus(LiveBus):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[set[str]] = []

    async def publish(self, keys: Collection[str]) -> None:
        self.heard.append(set(keys))


async def test_each_commit_tells_the_lines_of_its_own_batch(session, usage_world, tmp_path: Path):
    postpaid, prepaid = usage_world.numbers["postpaid"], usage_world.numbers["prepaid"]
    path = tmp_path / "usage.csv"
    path.write_text(
        HEADER
        + f"a-1,{postpaid},2026-11-03T10:00:00Z,sms,1,national\n"
        + f"a-2,{prepaid},2026-11-03T10:01:00Z,sms,1,national\n"
        + f"a-3,{postpaid},2026-11-03T10:02:00Z,sms,1,national\n"
    )
    bus = HeardBus()

    async def batches():  # type: ignore[no-untyped-def]
        for batch in read_file(path, batch_size=1):
            yield batch

    announced = Announced(bus, batches(), session.flush)
    summary = await import_batches(session, lambda: NOW, announced.batches(), announced.commit)
    assert (summary.imported, summary.batches) == (3, 3)
    assert bus.heard == [{stored_number(n)} for n in (postpaid, prepaid, postpaid)]


async def test_a_file_written_while_the_next_batch_is_read_tells_each_batch_in_turn(
    engine, session, usage_world, tmp_path: Path
):
    """With `side_by_side` on PostgreSQL each batch is written while the next is read and
    checked: a record of the batch being written that comes again in the next counts as a
    duplicate there (as it would once committed), and each commit still tells its own
    batch's lines. SQLite checks and writes each batch in turn."""
    postpaid, prepaid = usage_world.numbers["postpaid"], usage_world.numbers["prepaid"]
    await session.commit()
    path = tmp_path / "usage.csv"
    path.write_text(
        HEADER
        + f"b-1,{postpaid},2026-11-03T10:00:00Z,sms,1,national\n"
        + f"b-2,{prepaid},2026-11-03T10:01:00Z,sms,1,national\n"
        + f"b-2,{postpaid},2026-11-03T10:02:00Z,sms,1,national\n"
        + f"b-3,{postpaid},2026-11-03T10:03:00Z,sms,1,national\n"
        + f"b-4,{prepaid},2026-11-03T10:04:00Z,sms,1,national\n"
    )
    bus = HeardBus()

    async def batches():  # type: ignore[no-untyped-def]
        for batch in read_file(path, batch_size=2):
            yield batch

    announced = Announced(bus, batches(), session.commit)
    summary = await import_batches(
        session,
        lambda: NOW,
        announced.batches(),
        announced.commit,
        side_by_side=create_sessionmaker(engine),
    )
    assert (summary.imported, summary.duplicates, summary.batches) == (4, 1, 3)
    both = {stored_number(postpaid), stored_number(prepaid)}
    assert bus.heard == [both, {stored_number(postpaid)}, {stored_number(prepaid)}]
    stored = await session.scalars(select(UsageRecord.record_id).order_by(UsageRecord.record_id))
    assert list(stored) == ["b-1", "b-2", "b-3", "b-4"]
    sms = await session.scalars(select(LineCounter.sms_count).order_by(LineCounter.line_id))
    assert sorted(sms) == [2, 2]
