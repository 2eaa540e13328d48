"""The outbox worker as a background task of the web process (embedded mode)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.kit.clock import Clock
from linedesk.kit.worker import running_beside
from linedesk.messaging.worker import OutboxWorker


@asynccontextmanager
async def embedded_worker(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncIterator[OutboxWorker | None]:
    """Runs a worker beside the app while the context is open, if the settings ask for one."""
    if not settings.runs_embedded_worker:
        yield None
        return
    worker = OutboxWorker.from_settings(settings, sessionmaker, clock)
    async with running_beside(worker, 1.0, "outbox-worker"):
        yield worker
