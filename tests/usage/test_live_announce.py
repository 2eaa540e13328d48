"""A file import tells the live bus, after each batch commits, the lines of that batch."""

from collections.abc import Collection
from pathlib import Path

from linedesk.kit.live import LiveBus
from linedesk.kit.phone import stored_number
from linedesk.usage.files import read_file
from linedesk.usage.live import Announced
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
