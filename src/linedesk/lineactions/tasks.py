"""The provisioning worker (and, in the embedded mode, the simulator) as a background task
of the web process; `linedesk provisioning work` runs the worker on its own."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.kit.clock import Clock
from linedesk.kit.worker import running_beside
from linedesk.lineactions.provisioning import HttpTransport, ProvisioningWorker, Transport
from linedesk.lineactions.simulator import SimulatedProvisioning


def transport_for(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> Transport | None:
    """The provisioning system's URL if set, else the simulator if allowed, else none."""
    if settings.provisioning_url:
        return HttpTransport(settings.provisioning_url, settings.provisioning_timeout_seconds)
    if settings.simulates_provisioning:
        return SimulatedProvisioning(sessionmaker, settings, clock)
    return None


@asynccontextmanager
async def embedded_provisioning(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncIterator[ProvisioningWorker | None]:
    """Runs the worker beside the app while the context is open, if the settings ask."""
    transport = (
        transport_for(settings, sessionmaker, clock) if settings.runs_provisioning_worker else None
    )
    if transport is None:
        yield None
        return
    worker = ProvisioningWorker.from_settings(settings, sessionmaker, clock, transport)
    async with running_beside(
        worker, settings.provisioning_poll_seconds, "provisioning-worker"
    ) as running:
        yield running
