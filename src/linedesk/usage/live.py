"""Telling the screens that counters changed: after an import's batch commits, the live bus
hears the numbers of its lines, read from the batch's columns (`numbers_of`), for a stream
batch as for a file import's."""

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence

from linedesk.kit.live import LiveBus
from linedesk.kit.phone import InvalidNumber, stored_number
from linedesk.usage.files import Batch
from linedesk.usage.schemas import UsageRecordIn


def lines_of(records: Sequence[tuple[int, UsageRecordIn]]) -> set[str]:
    return numbers_of({record.line for _, record in records})


def numbers_of(lines: Iterable[str]) -> set[str]:
    """The lines' numbers as stored (E.164); a number that cannot be read is left out.
    Each distinct number is parsed once per process (`stored_number`): parsing every number
    of every batch cost more than the whole import."""
    out = set()
    for line in lines:
        try:
            out.add(stored_number(line))
        except InvalidNumber:  # such a batch is rejected: nothing to tell
            continue
    return out


class Announced:
    """A file import's batches and commit, so that each commit is told to the bus: the
    commits come in the order of the batches, the next batch may be read before the one
    before commits (`usage.service.import_batches`' pipeline)."""

    def __init__(
        self,
        bus: LiveBus | None,
        batches: AsyncIterable[Batch],
        commit: Callable[[], Awaitable[None]],
    ) -> None:
        self._bus, self._source, self._commit = bus, batches, commit
        self._pending: deque[set[str]] = deque()  # each batch read and not committed yet

    async def batches(self) -> AsyncIterator[Batch]:
        async for batch in self._source:
            # read from the columns: asking for `records` would build every row in Python;
            # with no bus there is no one to tell
            if self._bus is not None:
                self._pending.append(numbers_of(batch.frame()["line"].unique().to_list()))
            yield batch

    async def commit(self) -> None:
        await self._commit()
        numbers = self._pending.popleft() if self._pending else set()
        if self._bus is not None and numbers:
            await self._bus.publish(numbers)
