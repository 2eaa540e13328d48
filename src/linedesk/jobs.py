"""Work that spans domains, calling each domain's service: the billing run with the managers'
notices, and the daily jobs (the monthly billing run, which finds work only when a month has
ended; then due dates: payment statuses and notices) with the loop that runs them
(SPEC R-O4): in the web process in the embedded mode, as `linedesk scheduler` in production.
Each job is idempotent, and a run takes a lock first, so two schedulers at once do the work
once."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.billing.schemas import RunSummary
from linedesk.billing.service import (
    DEFAULT_CHUNK,
    Commit,
    Progress,
    issue_invoices,
    refresh_estimate,
)
from linedesk.billing.tasks import bill_previous_month
from linedesk.config import Settings
from linedesk.kit.clock import Clock
from linedesk.kit.locks import exclusive
from linedesk.lineactions.periods import PeriodStart, start_line_periods
from linedesk.notifications.service import notify_due_dates, notify_invoices_issued
from linedesk.payments.service import update_statuses

log = structlog.get_logger()
DAY_SECONDS = 24 * 3600
DAILY_JOBS_LOCK = "daily-jobs"


async def bill_month(
    session: AsyncSession,
    now: datetime,
    period: date,
    *,
    due_days: int,
    chunk_size: int = DEFAULT_CHUNK,
    commit: Commit | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """The billing run of a month; the managers are told of each new invoice in the same
    transaction as it."""
    return await issue_invoices(
        session,
        now,
        period,
        due_days=due_days,
        chunk_size=chunk_size,
        commit=commit,
        progress=progress,
        on_issued=notify_invoices_issued,
    )


@dataclass(frozen=True)
class DailyResult:
    overdue: int
    notices: dict[str, int]


async def run_due_dates(session: AsyncSession, now: datetime) -> DailyResult:
    """Unpaid invoices past due become overdue, then the due-date notices go out."""
    overdue = await update_statuses(session, now)
    return DailyResult(overdue=overdue, notices=await notify_due_dates(session, now))


@dataclass(frozen=True)
class DailyJobsResult:
    billing: RunSummary
    due_dates: DailyResult
    line_periods: PeriodStart | None = None


async def run_daily_jobs(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, due_days: int
) -> DailyJobsResult | None:
    """One run of the daily jobs; None when another process is running them right now."""
    engine = sessionmaker.kw["bind"]
    async with exclusive(engine, DAILY_JOBS_LOCK) as held:
        if not held:
            log.info("daily_jobs_skipped", reason="another process holds the lock")
            return None
        async with sessionmaker() as session:
            # The offer changes due, the bars lifted; the billing run bills each month by
            # the lines' offer history, so the order does not matter.
            started = await start_line_periods(session, clock.now())
            await session.commit()
            if started.offers_changed or started.bars_lifted:
                log.info("line_periods_started", **vars(started))
            billed = await bill_previous_month(
                session,
                clock.now(),
                due_days=due_days,
                commit=session.commit,
                on_issued=notify_invoices_issued,
            )
            if billed.issued:
                log.info("billing_run", period=str(billed.period), issued=billed.issued)
            result = await run_due_dates(session, clock.now())
            await session.commit()
            # The spending trend's estimate of this month, from the inventory as it is now.
            await refresh_estimate(session, clock.today().replace(day=1), None)
            await session.commit()
    log.info("due_dates_job", overdue_invoices=result.overdue, notices=dict(result.notices))
    return DailyJobsResult(billing=billed, due_dates=result, line_periods=started)


async def run_daily_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    stop: asyncio.Event,
    every: float,
    due_days: int,
) -> None:
    """Run the daily jobs now and every `every` seconds until `stop` is set; a run in
    progress finishes first."""
    while not stop.is_set():
        try:
            await run_daily_jobs(sessionmaker, clock, due_days)
        except Exception:  # the next run retries; the process must keep going
            log.exception("due_dates_job_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


@asynccontextmanager
async def embedded_scheduler(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
    every: float = DAY_SECONDS,
) -> AsyncIterator[None]:
    """Runs the daily job at start and every `every` seconds while the context is open, if
    the settings ask for it (the embedded mode)."""
    if not settings.runs_embedded_scheduler:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_daily_loop(sessionmaker, clock, stop, every, settings.invoice_due_days),
        name="daily-jobs",
    )
    try:
        yield
    finally:
        stop.set()
        await task
