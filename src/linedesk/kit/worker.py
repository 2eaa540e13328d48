"""Workers that take what is due in batches: until nothing is (`--once`), or until told to
stop, resting while nothing is due; and such a worker beside the web process."""

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar, TypeVar

import structlog

log = structlog.get_logger()
W = TypeVar("W", bound="BatchWorker")


class BatchWorker(ABC):
    failed_event: ClassVar[str]  # logged when a batch fails (the database briefly away)

    @abstractmethod
    async def run_once(self) -> int:
        """Process one batch; returns how many items it took."""

    async def after_batch(self) -> None:
        """Called after each batch of `run`."""
        return None

    async def close(self) -> None:
        return None

    async def run_until_idle(self) -> int:
        total = 0
        while count := await self.run_once():
            total += count
        return total

    async def run(self, stop: asyncio.Event, idle_seconds: float = 1.0) -> None:
        """Work until `stop` is set, resting `idle_seconds` whenever nothing is due."""
        while not stop.is_set():
            try:
                count = await self.run_once()
                await self.after_batch()
            except Exception:  # the database may be briefly away: log it and keep going
                log.exception(self.failed_event)
                count = 0
            if not count:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)


@asynccontextmanager
async def running_beside(worker: W, idle_seconds: float, name: str) -> AsyncIterator[W]:
    """Run the worker as a task while the context is open; then stop and close it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, idle_seconds), name=name)
    try:
        yield worker
    finally:
        stop.set()
        await task
        await worker.close()
