"""The scenario: the rig started, the load run, and the faults injected at set times."""

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from common import free_port
from faults.load import (
    Load,
    bearer,
    employee_reads,
    mail_actions,
    manager_reads,
    read_cast,
    sign_in,
    sign_ins,
    usage_imports,
)
from faults.rig import (
    LEASE_SECONDS,
    Postgres,
    Rig,
    SmtpPeer,
    cli,
    production_env,
    scalar,
    socket_owner,
    wait_ready,
)

# --- the faults -------------------------------------------------------------------------------


@dataclass
class Window:
    name: str
    start: float
    end: float


@dataclass
class FaultLog:
    windows: list[Window] = field(default_factory=list)
    recovery: list[tuple[str, str]] = field(default_factory=list)
    billing: list[str] = field(default_factory=list)
    pg_down_at: float = 0.0
    pg_up_at: float = 0.0
    killed_mid_send: set[str] = field(default_factory=set)  # Message-IDs
    killed_at: float | None = None  # time.monotonic(), as the relay's `Received.at`


async def seconds_until(
    load: Load, db_url: str, sql: str, *args: Any, limit: float = 180
) -> float | None:
    """Seconds from now until the query counts 0 (None if it never does within `limit`)."""
    began = load.now()
    while load.now() - began < limit:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            if await scalar(db_url, sql, *args) == 0:
                return load.now() - began
        await asyncio.sleep(0.5)
    return None


async def until(load: Load, at: float) -> None:
    await asyncio.sleep(max(0.0, at - load.now()))


async def billing_via_api(load: Load, rig: Rig, period: str, name: str) -> str:
    response = await load.call(
        "billing run",
        "POST",
        "/api/v1/backoffice/billing-runs",
        json={"period": period},
        headers={"X-API-Key": rig.key},
        timeout=300,
    )
    if response is None or response.status_code != 200:
        return f"{name} (API): failed, {response.status_code if response else 'no answer'}"
    summary = response.json()
    return (
        f"{name} (API): issued {summary['issued']}, already invoiced {summary['already_invoiced']}"
    )


async def billing_via_cli(load: Load, rig: Rig, period: str, name: str) -> str:
    status, out, err = await cli(rig.env, "billing", "run", "--period", period)
    issued = re.search(r"invoices issued\s+│?\s*([\d,]+)", out)
    skipped = re.search(r"already invoiced \(skipped\)\s+│?\s*([\d,]+)", out)
    if status:
        return f"{name} (CLI): exit {status}: {err.strip()[-200:]}"
    return (
        f"{name} (CLI): issued {issued[1] if issued else '?'}, already invoiced "
        f"{skipped[1] if skipped else '?'}"
    )


async def restart_postgres(load: Load, rig: Rig, log: FaultLog) -> None:
    assert rig.pg is not None
    log.pg_down_at = load.now()
    await asyncio.to_thread(rig.pg.restart)
    log.pg_up_at = load.now()
    log.windows.append(Window("PostgreSQL restart", log.pg_down_at, log.pg_up_at + 5))


async def smtp_outage(load: Load, rig: Rig, log: FaultLog, outage: float) -> None:
    assert rig.smtp is not None
    down = load.now()
    await asyncio.to_thread(rig.smtp.stop)
    await asyncio.sleep(outage)
    await asyncio.to_thread(rig.smtp.start)
    back, wall = load.now(), datetime.now(UTC)
    log.windows.append(Window(f"SMTP away {outage:.0f} s", down, back))
    pending = (
        "SELECT count(*) FROM outbox_messages WHERE channel = 'email' "
        "AND status IN ('pending', 'sending') AND created_at <= $1"
    )
    waiting = await scalar(rig.db_url, pending, wall)
    drained = await seconds_until(load, rig.db_url, pending, wall)
    log.recovery.append(
        (
            "SMTP back",
            f"{waiting} e-mail(s) waiting; all delivered "
            + (f"{drained:.1f} s after it returned" if drained is not None else "NOT within 180 s"),
        )
    )


async def kill_worker(load: Load, rig: Rig, log: FaultLog) -> None:
    """SIGKILL a worker while the SMTP server holds messages it sent (mid-send)."""
    assert rig.smtp is not None
    relay, pids = rig.smtp.relay, [w.pid for w in rig.workers]
    load.burst.set()
    victim, held, deadline = pids[0], list[str](), load.now() + 20
    while not held and load.now() < deadline:
        owners = [
            (socket_owner(port, pids), message_id)
            for port, message_id in list(relay.in_flight.items())
        ]
        victim = next((pid for pid, _ in owners if pid), victim)
        held = [message_id for pid, message_id in owners if pid == victim]
        if not held:
            await asyncio.sleep(0.02)
    killed, wall = load.now(), datetime.now(UTC)
    os.kill(victim, signal.SIGKILL)
    log.killed_at = time.monotonic()
    load.burst.clear()
    index, in_flight, log.killed_mid_send = pids.index(victim), len(held), set(held)
    log.windows.append(Window("worker SIGKILL", killed, killed + LEASE_SECONDS + 10))
    await asyncio.sleep(5)  # then its supervisor starts it again
    rig.start_worker(index)
    stuck = "SELECT count(*) FROM outbox_messages WHERE status = 'sending' AND claimed_at <= $1"
    left = await seconds_until(load, rig.db_url, stuck, wall)
    log.recovery.append(
        (
            "worker killed",
            f"{in_flight} e-mail(s) mid-send at the kill; its "
            "claimed messages taken over "
            + (
                f"{left + 5:.1f} s after the kill (lease {LEASE_SECONDS} s)"
                if left is not None
                else "NOT within 180 s"
            ),
        )
    )


async def billing_twice(load: Load, rig: Rig, log: FaultLog, period: str) -> None:
    began = load.now()
    log.billing += await asyncio.gather(
        billing_via_api(load, rig, period, "run 1"), billing_via_api(load, rig, period, "run 2")
    )
    log.windows.append(Window("2 billing runs at once", began, load.now()))


async def inject_faults(
    load: Load, rig: Rig, duration: float, outage: float, period: str
) -> FaultLog:
    log = FaultLog()
    await until(load, 0.10 * duration)
    await billing_twice(load, rig, log, period)
    await until(load, 0.25 * duration)
    await restart_postgres(load, rig, log)
    await until(load, 0.42 * duration)
    smtp = asyncio.create_task(smtp_outage(load, rig, log, outage))
    await until(load, 0.72 * duration)
    kill = asyncio.create_task(kill_worker(load, rig, log))
    await until(load, 0.85 * duration)
    log.billing.append(await billing_via_cli(load, rig, period, "run 3"))
    await asyncio.gather(smtp, kill)
    return log


def previous_month() -> str:
    first = datetime.now(ZoneInfo("Europe/Rome")).date().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


async def start_infrastructure(rig: Rig, args: argparse.Namespace) -> tuple[int, int]:
    """PostgreSQL, Redis and the SMTP server; returns the Redis and SMTP ports."""
    pg_port = args.pg_port or free_port()
    rig.pg = Postgres(rig.root / "pg", pg_port)
    await asyncio.to_thread(rig.pg.start)
    await scalar(rig.pg.url("postgres"), "CREATE DATABASE linedesk")
    rig.db_url = rig.pg.url("linedesk")
    redis_port, smtp_port = free_port(), free_port()
    rig.owned.start(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(rig.root),
        ],
    )
    rig.smtp = SmtpPeer(smtp_port, args.smtp_latency)
    rig.smtp.start()
    return redis_port, smtp_port


async def start_linedesk(
    rig: Rig, args: argparse.Namespace, redis_port: int, smtp_port: int
) -> str:
    """Schema, demo data, an API key, 2 API processes and 2 workers; returns the base URL."""
    assert rig.pg is not None
    api_port = free_port()
    rig.env = production_env(
        rig.pg.url("linedesk", "postgresql+asyncpg"),
        redis_port,
        smtp_port,
        api_port,
        rig.root / "data",
    )
    for step in (
        ["migrate"],
        ["demo", "load", "--lines", str(args.lines)],
        ["apikey", "create", "faults"],
    ):
        status, out, err = await cli(rig.env, *step)
        if status:
            raise RuntimeError(f"linedesk {' '.join(step)} failed: {err[-2000:]}")
    rig.key = out.strip().splitlines()[-1]
    api = rig.owned.start(
        "api",
        [
            sys.executable,
            "-m",
            "linedesk.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(api_port),
            "--workers",
            "2",
        ],
        rig.env,
    )
    base = f"http://127.0.0.1:{api_port}"
    await wait_ready(base, api)
    for index in range(2):
        rig.start_worker(index)
    return base


async def run_load(
    rig: Rig, base: str, args: argparse.Namespace, run: str, period: str
) -> tuple[Load, FaultLog]:
    from linedesk.demo.users import DEMO_PASSWORD

    cast = await read_cast(rig.db_url)
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        employees = [(await sign_in(client, u, DEMO_PASSWORD), u) for u in cast.employees]
        managers = [
            (u, await sign_in(client, u, DEMO_PASSWORD), mail) for u, mail in cast.managers.items()
        ]
        admin = next((token, mail) for u, token, mail in managers if u == cast.admin)
        invoices = await client.get(
            "/api/v1/invoices", headers=bearer(managers[0][1]), params={"limit": 50}
        )
        invoice_ids = [int(item["id"]) for item in invoices.json()]
        load = Load(client, time.monotonic())
        tasks = [
            asyncio.create_task(c)
            for c in (
                *(employee_reads(load, token, msisdn) for token, msisdn in employees),
                *(manager_reads(load, token) for _, token, _ in managers),
                sign_ins(load, [*cast.employees, *cast.managers], DEMO_PASSWORD),
                usage_imports(load, rig.key, run, cast.lines, args.records),
                mail_actions(load, run, admin, managers, invoice_ids),
            )
        ]
        faults = asyncio.create_task(
            inject_faults(load, rig, args.duration, args.smtp_outage, period)
        )
        await until(load, args.duration)
        load.stop.set()
        await asyncio.gather(*tasks)
        log = await faults
    return load, log


async def drain(rig: Rig, load: Load, seconds: float) -> str:
    queued = (
        "SELECT count(*) FROM outbox_messages WHERE channel = 'email' "
        "AND status IN ('pending', 'sending')"
    )
    waited = await seconds_until(load, rig.db_url, queued, limit=seconds)
    return (
        f"e-mail outbox drained {waited:.1f} s after the load stopped"
        if waited is not None
        else f"e-mail outbox NOT drained within {seconds:.0f} s"
    )
