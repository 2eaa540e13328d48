"""`linedesk scheduler`: the daily jobs as a production process, run once or until SIGTERM,
doing the work once however many schedulers run."""

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from typer.testing import CliRunner

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.cli import app
from linedesk.db import create_engine, create_sessionmaker
from linedesk.jobs import DAILY_JOBS_LOCK, run_daily_jobs
from linedesk.kit.clock import FrozenClock
from linedesk.kit.locks import exclusive
from linedesk.messaging.models import OutboxMessage
from linedesk.notifications.models import Notification
from linedesk.ops.logging import configure_logging
from tests.notifications.conftest import DUE, Managers, bill_october, notifications_of

runner = CliRunner()
IN_DECEMBER = DUE + timedelta(days=2)  # November has ended; October's invoice is past due


@pytest.fixture
def december(monkeypatch: pytest.MonkeyPatch, cli_env: None) -> None:
    """The command's clock reads 22 December 2026."""
    command = importlib.import_module("linedesk.cli.scheduler")  # the module, not the command
    monkeypatch.setattr(command, "Clock", lambda: FrozenClock(IN_DECEMBER))


async def scheduler_once() -> str:
    result = await asyncio.to_thread(runner.invoke, app, ["scheduler", "--once"])
    configure_logging("WARNING")  # the command logged to the runner's stream, closed now
    assert result.exit_code == 0, result.output
    return result.output


async def produced(session: AsyncSession) -> tuple[dict[tuple[date, str], int], int, int]:
    """Invoices per period and status, in-app notifications, outbox messages."""
    rows = await session.execute(
        select(Invoice.period, Invoice.status, func.count()).group_by(
            Invoice.period, Invoice.status
        )
    )
    invoices = {(period, status.value): count for period, status, count in rows}
    notifications = await session.scalar(select(func.count()).select_from(Notification))
    messages = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await session.rollback()
    return invoices, notifications or 0, messages or 0


async def test_once_bills_the_month_just_ended_and_tells_the_managers_once(
    december: None, session: AsyncSession, managers: Managers
) -> None:
    await bill_october(session)
    first = await scheduler_once()
    assert "Billing run 2026-11: 2 invoice(s) issued" in first  # both companies
    assert "Invoices now overdue: 2" in first and "Notified overdue: 2" in first
    after_first = await produced(session)
    assert after_first[0] == {
        (date(2026, 10, 1), InvoiceStatus.overdue.value): 2,
        (date(2026, 11, 1), InvoiceStatus.issued.value): 2,
    }
    kinds = [n.kind.value for n in await notifications_of(session, managers.admin)]
    assert kinds == ["invoice_issued", "invoice_issued", "overdue"]

    again = await scheduler_once()
    assert "0 invoice(s) issued" in again and "Notified overdue: 0" in again
    assert await produced(session) == after_first


async def test_a_second_scheduler_does_nothing_while_the_first_runs(
    december: None, engine: AsyncEngine, session: AsyncSession, managers: Managers
) -> None:
    await bill_october(session)
    before = await produced(session)
    async with exclusive(engine, DAILY_JOBS_LOCK) as held:  # "the first scheduler"
        assert held
        output = await scheduler_once()
    assert "Another process is running the daily jobs: nothing done." in output
    assert await produced(session) == before
    assert "2 invoice(s) issued" in await scheduler_once()  # the lock is free again


async def test_two_schedulers_at_the_same_moment_do_the_work_once(
    database_url: str, session: AsyncSession, managers: Managers
) -> None:
    await bill_october(session)
    engines = [create_engine(database_url) for _ in range(2)]  # two processes' pools
    clock = FrozenClock(IN_DECEMBER)
    try:
        results = await asyncio.gather(
            *(run_daily_jobs(create_sessionmaker(e), clock, 30) for e in engines)
        )
    finally:
        for e in engines:
            await e.dispose()
    done = [r for r in results if r is not None]
    assert sum(r.billing.issued for r in done) == 2
    assert sum(r.due_dates.notices["overdue"] for r in done) == 2
    invoices, _, _ = await produced(session)
    assert invoices == {(date(2026, 10, 1), "overdue"): 2, (date(2026, 11, 1), "issued"): 2}
    kinds = [n.kind.value for n in await notifications_of(session, managers.telco)]
    assert kinds == ["invoice_issued", "invoice_issued", "overdue"]


def test_the_scheduler_runs_at_start_and_stops_cleanly_on_sigterm(cli_env: None) -> None:
    env = os.environ | {"LINEDESK_LOG_JSON": "true", "LINEDESK_LOG_LEVEL": "INFO"}
    process = subprocess.Popen(
        [sys.executable, "-m", "linedesk.cli", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any('"due_dates_job"' in x for x in lines):
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
        assert any('"due_dates_job"' in x for x in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        rest = process.stderr.read()
        assert '"scheduler_stopped"' in rest, rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
