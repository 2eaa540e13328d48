"""A file import tells the live bus, after each batch commits, the lines of that batch."""

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from pathlib import Path

from sqlalchemy import select

from linedesk.db import create_sessionmaker
from linedesk.kit.live import LiveBus
from linedesk.kit.phone import stored_number
from linedesk.usage.files import Batch, read_file
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


def _sms_file(path: Path, records: Sequence[tuple[str, str]]) -> Path:
    """One SMS per (record id, number), a minute apart."""
    path.write_text(
        HEADER
        + "".join(
            f"{record_id},{number},2026-11-03T10:{minute:02d}:00Z,sms,1,national\n"
            for minute, (record_id, number) in enumerate(records)
        )
    )
    return path


def _announced(
    bus: LiveBus, path: Path, batch_size: int, commit: Callable[[], Awaitable[None]]
) -> Announced:
    async def batches() -> AsyncIterator[Batch]:
        for batch in read_file(path, batch_size=batch_size):
            yield batch

    return Announced(bus, batches(), commit)


async def test_each_commit_tells_the_lines_of_its_own_batch(session, usage_world, tmp_path: Path):
    postpaid, prepaid = usage_world.numbers["postpaid"], usage_world.numbers["prepaid"]
    path = _sms_file(
        tmp_path / "usage.csv", [("a-1", postpaid), ("a-2", prepaid), ("a-3", postpaid)]
    )
    bus = HeardBus()
    announced = _announced(bus, path, 1, session.flush)
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
    path = _sms_file(
        tmp_path / "usage.csv",
        [
            ("b-1", postpaid),
            ("b-2", prepaid),
            ("b-2", postpaid),
            ("b-3", postpaid),
            ("b-4", prepaid),
        ],
    )
    bus = HeardBus()
    announced = _announced(bus, path, 2, session.commit)
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
