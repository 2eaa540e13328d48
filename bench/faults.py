"""Faults under load: linedesk in production mode (PostgreSQL, Redis, 2 API processes, 2 outbox
workers) under a mixed load while PostgreSQL restarts, the SMTP server goes away for 30 s, a
worker is killed with SIGKILL mid-send and the billing run is launched three times (twice at
once); then it checks that nothing was lost or doubled and prints a report.

Everything runs on loopback in processes this script starts and owns: a private PostgreSQL
cluster (initdb into a temporary directory, run as the `postgres` OS user), a private
redis-server, an SMTP server (aiosmtpd, in this process, recording every message it accepts)
and linedesk. Exit status 1 if anything was lost or doubled (an e-mail in flight at the SIGKILL
may arrive twice with one Message-ID: the outbox's documented at-least-once case, reported).

    .venv/bin/python bench/faults.py [--duration 150] [--lines 500] [--markdown PATH]
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LEASE_SECONDS = 40  # outbox lease: a killed worker's messages are taken over after this
OUTBOX_ID = re.compile(r"<outbox\.(\d+)\.")
console = Console()


# --- processes this script owns -------------------------------------------------------------


class Owned:
    """Every child process, stopped (its whole process group) on exit, however we exit."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args]


class Postgres:
    """A private cluster in `root`, on its own port and socket directory."""

    def __init__(self, root: Path, port: int) -> None:
        self.data, self.socket_dir, self.port = root / "data", root / "sock", port
        self.log = root / "postgres.log"
        for path in (root, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            shutil.chown(path, "postgres", "postgres")

    def ctl(self, *args: str) -> None:
        # The server's output goes to its log (-l): a pipe would stay open as long as it runs.
        with (self.log.parent / "pg_ctl.log").open("ab") as out:
            subprocess.run(
                as_postgres(
                    str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", *args
                ),
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def start(self) -> None:
        subprocess.run(
            as_postgres(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-N",
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=off"
        )
        self.ctl("-o", options, "start")

    def restart(self) -> None:
        self.ctl("-m", "fast", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.ctl("-m", "immediate", "stop")

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class Received:
    message_id: str
    recipient: str
    subject: str
    at: float


class Relay:
    """The SMTP server's handler: records every message it accepts. `latency` is the time
    between taking a message and answering 250 (a slow relay): a worker killed then has
    messages the server already took, which it will be sent again (at least once)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.received: list[Received] = []
        self.in_flight: dict[int, str] = {}  # client port: Message-ID, awaiting its 250
        self.closing = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.closing:  # going away cleanly: take nothing more, finish what was taken
            return "421 Service not available, closing transmission channel"
        headers = BytesParser(policy=default_policy).parsebytes(envelope.content, headersonly=True)
        message_id = str(headers["Message-ID"] or "")
        self.received.append(
            Received(
                message_id, ",".join(envelope.rcpt_tos), str(headers["Subject"]), time.monotonic()
            )
        )
        port = int(session.peer[1])
        self.in_flight[port] = message_id
        try:
            await asyncio.sleep(self.latency)
        finally:
            self.in_flight.pop(port, None)
        return "250 Message accepted for delivery"


class SmtpPeer:
    def __init__(self, port: int, latency: float) -> None:
        self.port, self.relay = port, Relay(latency)
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.relay, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.relay.closing = True
            deadline = time.monotonic() + 5
            while self.relay.in_flight and time.monotonic() < deadline:
                time.sleep(0.01)
            self.controller.stop()
            self.controller = None
            self.relay.closing = False


def socket_owner(port: int, pids: list[int]) -> int | None:
    """Which of `pids` owns the loopback TCP socket with local port `port`."""
    inode = None
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cells = row.split()
        if int(cells[1].split(":")[1], 16) == port:
            inode = cells[9]
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
    return None


# --- linedesk -------------------------------------------------------------------------------


def production_env(
    db_url: str, redis_port: int, smtp_port: int, api_port: int, data_dir: Path
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINEDESK_")}
    env.update(
        {
            "LINEDESK_ENV": "production",
            "LINEDESK_DATABASE_URL": db_url,
            "LINEDESK_SECRET_KEY": secrets.token_urlsafe(48),
            "LINEDESK_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "LINEDESK_DATA_DIR": str(data_dir),
            "LINEDESK_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
            "LINEDESK_MESSAGING_CAPTURE": "false",
            "LINEDESK_SMTP_HOST": "127.0.0.1",
            "LINEDESK_SMTP_PORT": str(smtp_port),
            "LINEDESK_SMTP_SECURITY": "none",
            "LINEDESK_SMTP_FROM": "linedesk <no-reply@linedesk.example.com>",
            # Many clients behind one proxy: the load sends X-Forwarded-For from loopback.
            "LINEDESK_TRUSTED_PROXIES": "127.0.0.1/32",
            "LINEDESK_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "LINEDESK_OUTBOX_BACKOFF_SECONDS": "2",
            "LINEDESK_OUTBOX_BACKOFF_MAX_SECONDS": "15",
        }
    )
    return env


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """A `linedesk` command: exit status, output, errors (stopped with the rest on exit)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "linedesk.cli",
        *args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await process.communicate()
    except asyncio.CancelledError:  # interrupted: stop it while the loop can still reap it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise
    return process.returncode or 0, out.decode(), err.decode()


async def wait_ready(base: str, process: subprocess.Popen[bytes], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("linedesk serve exited at start")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(base + "/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError("linedesk serve did not become ready")


@dataclass
class Cast:
    """Who the load acts as, read from the database after the demo load."""

    employees: list[str]
    managers: dict[str, str]  # username: e-mail
    admin: str
    lines: list[str]  # active mobile lines for usage records
    invoice_ids: list[int] = field(default_factory=list)


async def read_cast(db_url: str) -> Cast:
    connection = await asyncpg.connect(db_url)
    try:
        users = await connection.fetch(
            "SELECT username, profile, email FROM users WHERE created_by_id IS NULL ORDER BY id"
        )
        lines = await connection.fetch(
            "SELECT msisdn FROM lines WHERE kind = 'mobile' AND status = 'active' "
            "AND activation_date < current_date - 1 ORDER BY id"
        )
    finally:
        await connection.close()
    managers = {u["username"]: u["email"] for u in users if u["profile"] != "employee"}
    admin = next(u["username"] for u in users if u["profile"] == "user_admin")
    return Cast(
        [u["username"] for u in users if u["profile"] == "employee"],
        managers,
        admin,
        [row["msisdn"] for row in lines],
    )


# --- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    at: float  # seconds since the load started, when the request was sent
    end: float  # and when its answer (or error) came
    result: str  # ok | refused (an expected 4xx) | shed (503 busy by design) | error
    detail: str


@dataclass
class Ledger:
    """What the API accepted: usage record ids and e-mails by (template, recipient)."""

    accepted_records: set[str] = field(default_factory=set)
    unconfirmed_records: set[str] = field(default_factory=set)
    replayed_imports: int = 0  # a retry found records of its failed attempt already in
    mails: Counter[tuple[str, str]] = field(default_factory=Counter)
    unsure_mails: Counter[tuple[str, str]] = field(default_factory=Counter)
    share_ids: set[int] = field(default_factory=set)


class Load:
    def __init__(self, client: httpx.AsyncClient, started: float) -> None:
        self.client, self.started = client, started
        self.outcomes: list[Outcome] = []
        self.stop = asyncio.Event()
        self.burst = asyncio.Event()
        self.ledger = Ledger()

    def now(self) -> float:
        return time.monotonic() - self.started

    async def call(
        self, kind: str, method: str, url: str, refusals: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response | None:
        at = self.now()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.outcomes.append(Outcome(kind, at, self.now(), "error", type(exc).__name__))
            return None
        status = response.status_code
        if status < 300:
            result = "ok"
        elif status in refusals:
            result = "refused"
        elif status == 503 and '"busy"' in response.text:
            result = "shed"
        else:
            result = "error"
        self.outcomes.append(Outcome(kind, at, self.now(), result, str(status)))
        return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def somewhere() -> dict[str, str]:
    """A client address behind our (trusted) proxy."""
    return {
        "X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}."
        f"{random.randrange(1, 255)}"
    }


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post(
        "/api/v1/auth/login", headers=somewhere(), json={"username": username, "password": password}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def employee_reads(load: Load, token: str, msisdn: str) -> None:
    while not load.stop.is_set():
        await load.call("counters", "GET", f"/api/v1/lines/{msisdn}/summary", headers=bearer(token))
        await load.call(
            "widget",
            "GET",
            "/api/v1/widget",
            headers=bearer(token),
            params={"variant": random.choice(["light", "extended"])},
        )
        await asyncio.sleep(0.05)


async def manager_reads(load: Load, token: str) -> None:
    while not load.stop.is_set():
        await load.call(
            "invoice list", "GET", "/api/v1/invoices", headers=bearer(token), params={"limit": 20}
        )
        await asyncio.sleep(0.2)


async def sign_ins(load: Load, people: list[str], password: str) -> None:
    turn = 0
    while not load.stop.is_set():
        turn += 1
        wrong = {"username": f"+39347{random.randrange(10**7):07d}", "password": "Sbagliata-1234!"}
        await load.call(
            "sign-in (wrong)",
            "POST",
            "/api/v1/auth/login",
            refusals=(401, 429),
            json=wrong,
            headers=somewhere(),
        )
        if turn % 10 == 0:  # 10 per 15 minutes per username: the limit answers 429 beyond
            right = {"username": people[turn // 10 % len(people)], "password": password}
            await load.call(
                "sign-in (right)",
                "POST",
                "/api/v1/auth/login",
                refusals=(429,),
                json=right,
                headers=somewhere(),
            )
        await asyncio.sleep(0.5)


def usage_batch(run: str, number: int, lines: list[str], size: int) -> tuple[list[str], bytes]:
    now = datetime.now(UTC)
    ids, rows = [], []
    for index in range(size):
        kind = random.choice(["data", "data", "voice", "sms"])
        quantity = {
            "data": random.randrange(10**5, 5 * 10**7),
            "voice": random.randrange(5, 900),
            "sms": 1,
        }[kind]
        record_id = f"{run}-{number}-{index}"
        ids.append(record_id)
        rows.append(
            json.dumps(
                {
                    "record_id": record_id,
                    "line": random.choice(lines),
                    "type": kind,
                    "started_at": (now - timedelta(seconds=random.randrange(60, 7200))).isoformat(),
                    "quantity": quantity,
                    "destination": random.choice(
                        ["national"] * 8 + ["eu_roaming", "international"]
                    ),
                }
            )
        )
    return ids, ("\n".join(rows) + "\n").encode()


async def usage_imports(load: Load, key: str, run: str, lines: list[str], size: int) -> None:
    """Upload files of new records; retry one that failed until the API accepts it (the
    import is idempotent), as an operator's feed would."""
    number = 0
    headers = {"X-API-Key": key, "Content-Type": "application/x-ndjson"}
    while not load.stop.is_set():
        number += 1
        ids, body = usage_batch(run, number, lines, size)
        give_up = load.now() + 60
        while True:
            response = await load.call(
                "usage import",
                "POST",
                "/api/v1/backoffice/usage/import",
                refusals=(409,),
                content=body,
                headers=headers,
            )
            if response is not None and response.status_code == 200:
                load.ledger.accepted_records.update(ids)
                load.ledger.replayed_imports += response.json()["duplicates"] > 0
                break
            if load.now() > give_up:
                load.ledger.unconfirmed_records.update(ids)
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.2)


async def mail_actions(
    load: Load,
    run: str,
    admin: tuple[str, str],
    managers: list[tuple[str, str, str]],
    invoice_ids: list[int],
) -> None:
    """Actions that queue e-mail: telco managers created (an activation code to them, a
    notice to the admin), invoices shared, password recoveries by e-mail."""
    admin_token, admin_email = admin
    number = 0
    while not load.stop.is_set():
        number += 1
        email = f"bench.{run}.{number}@example.com"
        body = {"username": f"bench{run}m{number}", "email": email}
        mails = [("manager_activation", email), ("manager_created", admin_email)]
        response = await load.call(
            "e-mail: new manager",
            "POST",
            "/api/v1/company/managers",
            json=body,
            headers=bearer(admin_token),
        )
        note(load.ledger, response, 201, mails)
        username, token, manager_email = managers[number % len(managers)]
        if number % 4 == 0 and invoice_ids:
            to = f"share.{run}.{number}@example.com"
            response = await load.call(
                "e-mail: invoice share",
                "POST",
                f"/api/v1/invoices/{random.choice(invoice_ids)}/share",
                refusals=(429,),
                json={"email": to},
                headers=bearer(token),
            )
            if note(load.ledger, response, 202, [("invoice_share", to)]):
                assert response is not None
                load.ledger.share_ids.add(int(response.json()["message_id"]))
        if number % 25 == 0:
            response = await load.call(
                "e-mail: recovery",
                "POST",
                "/api/v1/password-recoveries",
                refusals=(429,),
                json={"username": username, "channel": "email"},
                headers=somewhere(),
            )
            note(load.ledger, response, 202, [("recovery_code", manager_email)])
        if load.burst.is_set():
            continue  # as fast as it goes: the workers have a batch in flight for the kill
        await asyncio.sleep(0.8)


def note(
    ledger: Ledger, response: httpx.Response | None, accepted: int, mails: list[tuple[str, str]]
) -> bool:
    if response is not None and response.status_code == accepted:
        ledger.mails.update(mails)
        return True
    if response is None or response.status_code >= 500:  # perhaps queued, perhaps not
        ledger.unsure_mails.update(mails)
    return False


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


@dataclass
class Rig:
    root: Path
    owned: Owned
    pg: Postgres | None = None
    smtp: SmtpPeer | None = None
    env: dict[str, str] = field(default_factory=dict)
    db_url: str = ""
    key: str = ""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, index: int) -> None:
        process = self.owned.start(
            f"worker-{index}",
            [sys.executable, "-m", "linedesk.cli", "worker", "--idle", "0.5"],
            self.env,
        )
        if index < len(self.workers):
            self.workers[index] = process
        else:
            self.workers.append(process)


async def scalar(db_url: str, sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(db_url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


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


# --- the checks -------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


IN_BUNDLE = "destination IN ('national', 'eu_roaming')"
COUNTERS_SQL = f"""
WITH r AS (
  SELECT line_id, period,
    sum(CASE WHEN usage_type = 'data' AND {IN_BUNDLE} THEN quantity ELSE 0 END) AS data_bytes,
    sum(CASE WHEN usage_type = 'voice' AND {IN_BUNDLE} THEN quantity ELSE 0 END) AS voice,
    sum(CASE WHEN usage_type = 'sms' AND {IN_BUNDLE} THEN quantity ELSE 0 END) AS sms,
    sum(CASE WHEN usage_type = 'data' AND destination = 'eu_roaming' THEN quantity ELSE 0 END)
      AS roaming_data,
    sum(charge) AS charges,
    sum(CASE WHEN destination = 'eu_roaming' THEN charge ELSE 0 END) AS roaming_charges,
    count(*) FILTER (WHERE destination = 'eu_roaming') AS roaming_events,
    bool_or(record_id LIKE $1) AS ours
  FROM usage_records GROUP BY line_id, period)
SELECT count(*) AS pairs, count(*) FILTER (WHERE r.ours) AS ours,
  count(*) FILTER (WHERE c.line_id IS NULL OR r.line_id IS NULL
    OR (c.data_bytes, c.voice_seconds, c.sms_count, c.roaming_data_bytes, c.charges,
        c.roaming_charges, c.roaming_events)
       IS DISTINCT FROM (r.data_bytes, r.voice, r.sms, r.roaming_data, r.charges,
                         r.roaming_charges, r.roaming_events)) AS wrong
FROM line_counters c FULL JOIN r ON c.line_id = r.line_id AND c.period = r.period
"""


async def check_usage(db: asyncpg.Connection, run: str, ledger: Ledger) -> list[Check]:
    rows = await db.fetch("SELECT record_id FROM usage_records WHERE record_id LIKE $1", f"{run}-%")
    stored = Counter(row["record_id"] for row in rows)
    lost = ledger.accepted_records - stored.keys()
    doubled = sum(count - 1 for count in stored.values())
    strange = stored.keys() - ledger.accepted_records - ledger.unconfirmed_records
    counters = await db.fetchrow(COUNTERS_SQL, f"{run}-%")
    return [
        Check(
            "usage records accepted by the API are stored",
            not lost,
            f"{len(ledger.accepted_records):,} accepted, {len(lost)} missing; "
            f"{len(ledger.unconfirmed_records & stored.keys())} of "
            f"{len(ledger.unconfirmed_records)} never confirmed are stored",
        ),
        Check(
            "no usage record stored twice, none from nowhere",
            not doubled and not strange,
            f"{doubled} doubled, {len(strange)} never sent; {ledger.replayed_imports} "
            "retried upload(s) found their records already imported",
        ),
        Check(
            "counters = sum of the records (per line and period)",
            counters["wrong"] == 0,
            f"{counters['wrong']} of {counters['pairs']:,} line-periods differ "
            f"({counters['ours']:,} touched by this run)",
        ),
    ]


async def check_invoices(db: asyncpg.Connection, period: date, runs: list[str]) -> list[Check]:
    doubled = await db.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM invoices GROUP BY billing_account_id, period "
        "HAVING count(*) > 1) d"
    )
    issued = await db.fetchval("SELECT count(*) FROM invoices WHERE period = $1", period)
    gaps = await db.fetchval(
        "SELECT count(*) FROM (SELECT year FROM invoices GROUP BY year "
        "HAVING count(*) <> max(sequence) OR count(DISTINCT sequence) <> count(*)) g"
    )
    return [
        Check(
            "one invoice per billing account and period",
            doubled == 0 and gaps == 0,
            f"{issued} invoices for {period:%Y-%m}, {doubled} doubled, {gaps} year(s) "
            f"with gaps in numbering; " + "; ".join(runs),
        )
    ]


async def check_mail(
    db: asyncpg.Connection,
    relay: Relay,
    ledger: Ledger,
    killed_mid_send: set[str],
    killed_at: float | None,
) -> list[Check]:
    rows = {
        row["id"]: row
        for row in await db.fetch(
            "SELECT id, status, attempts, last_error, template, recipient FROM outbox_messages "
            "WHERE channel = 'email'"
        )
    }
    received = Counter(int(m[1]) for r in relay.received if (m := OUTBOX_ID.match(r.message_id)))
    foreign = sum(1 for r in relay.received if not OUTBOX_ID.match(r.message_id))
    status = Counter(row["status"] for row in rows.values())
    once = sum(1 for i, row in rows.items() if row["status"] == "sent" and received[i] == 1)
    doubled = {i: n for i, n in received.items() if n > 1}
    vanished = [i for i, row in rows.items() if row["status"] == "sent" and not received[i]]
    stuck = [i for i, row in rows.items() if row["status"] in ("pending", "sending")]
    unknown = (received.keys() - rows.keys()) or foreign
    failed = Counter(
        (row["last_error"] or "")[:60] for row in rows.values() if row["status"] == "failed"
    )
    in_outbox = Counter((row["template"], row["recipient"]) for row in rows.values())
    lost = sum(max(0, n - in_outbox[key]) for key, n in ledger.mails.items())
    extra = sum(
        max(0, in_outbox[key] - n - ledger.unsure_mails[key]) for key, n in ledger.mails.items()
    )
    shares = len(ledger.share_ids - rows.keys())
    # Sent again because of the kill: held by the relay at that moment, or received before it
    # and again only once the lease had run out (the dead worker got its 250 but could not
    # record `sent`); a surviving worker never sends again what it recorded.
    held = {int(m[1]) for i in killed_mid_send if (m := OUTBOX_ID.match(i))}
    by_kill = set(held)
    if killed_at is not None:
        times: dict[int, list[float]] = {}
        for r in relay.received:
            if m := OUTBOX_ID.match(r.message_id):
                times.setdefault(int(m[1]), []).append(r.at)
        by_kill |= {
            i
            for i in doubled
            if (at := sorted(times[i]))[0] <= killed_at and at[1] >= killed_at + LEASE_SECONDS * 0.9
        }
    doubled_text = ", ".join(
        f"#{i}×{n} ({rows[i]['status']}, {rows[i]['attempts']} attempts"
        + (", sent again after the SIGKILL)" if i in by_kill else ")")
        for i, n in sorted(doubled.items())[:8]
        if i in rows
    )
    return [
        Check(
            "every e-mail the API accepted is in the outbox",
            not lost and not extra and not shares,
            f"{sum(ledger.mails.values())} accepted, {lost} missing, "
            f"{extra} unexpected, {shares} share ids not found",
        ),
        Check(
            "every outbox e-mail delivered or failed with a reason",
            not vanished and not stuck and not unknown,
            f"{len(rows)} e-mails: {dict(status)}; {once} received exactly once; "
            f"{len(vanished)} marked sent but never received; {len(stuck)} still queued; "
            f"failed: {dict(failed) or 'none'}",
        ),
        # The outbox promises at least once: an e-mail the SMTP server took from a worker killed
        # before it could record `sent` goes again, with the same Message-ID (so a mailbox
        # keeps one). Any other second delivery is a bug and fails the run.
        Check(
            "no e-mail delivered twice, but those in flight at the SIGKILL (same Message-ID)",
            doubled.keys() <= by_kill,
            f"{len(doubled)} delivered more than once, {len(doubled.keys() & held)} held by "
            f"the SMTP server at the kill, {len(doubled.keys() & (by_kill - held))} received "
            "before it and again after the lease (the at-least-once case)"
            + (f": {doubled_text}" if doubled_text else ""),
        ),
    ]


async def other_channels(db: asyncpg.Connection) -> str:
    rows = await db.fetch(
        "SELECT channel, status, count(*) AS n FROM outbox_messages "
        "WHERE channel <> 'email' GROUP BY channel, status ORDER BY 1, 2"
    )
    return ", ".join(f"{r['channel']} {r['status']}: {r['n']}" for r in rows) or "none"


# --- the report -------------------------------------------------------------------------------


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]


def tally(outcomes: list[Outcome]) -> list[str]:
    results = Counter(o.result for o in outcomes)
    errors = Counter(o.detail for o in outcomes if o.result == "error")
    rate = results["error"] / len(outcomes) if outcomes else 0.0
    kinds = ", ".join(f"{detail}×{n}" for detail, n in errors.most_common(4))
    return [
        f"{len(outcomes):,}",
        f"{results['ok']:,}",
        f"{results['refused']:,}",
        f"{results['shed']:,}",
        f"{results['error']:,}",
        f"{rate:.1%}",
        kinds,
    ]


def requests_by_window(outcomes: list[Outcome], windows: list[Window], end: float) -> Section:
    rows = []
    for window in windows:
        inside = [o for o in outcomes if o.at < window.end and o.end >= window.start]
        rows.append([window.name, f"{window.start:.0f}–{window.end:.0f}", *tally(inside)])
    calm = [o for o in outcomes if not any(o.at < w.end and o.end >= w.start for w in windows)]
    rows.append(["no fault", f"0–{end:.0f} (rest)", *tally(calm)])
    rows.append(["whole run", f"0–{end:.0f}", *tally(outcomes)])
    return Section(
        "Requests by fault window (a request counts in every window it overlaps; "
        "seconds since the load began)",
        [
            "window",
            "seconds",
            "requests",
            "ok",
            "refused",
            "shed",
            "errors",
            "error rate",
            "errors by kind",
        ],
        rows,
    )


def requests_by_kind(outcomes: list[Outcome]) -> Section:
    kinds = sorted({o.kind for o in outcomes})
    rows = [[kind, *tally([o for o in outcomes if o.kind == kind])] for kind in kinds]
    return Section(
        "Requests by kind (refused: expected 401/409/429; shed: 503 busy)",
        ["kind", "requests", "ok", "refused", "shed", "errors", "error rate", "errors by kind"],
        rows,
    )


def recovery(outcomes: list[Outcome], log: FaultLog) -> Section:
    after = [o for o in outcomes if o.at >= log.pg_up_at and o.kind != "sign-in (wrong)"]
    first = min((o.at for o in after if o.result == "ok"), default=None)
    late = sum(1 for o in after if o.result == "error")
    rows = [
        [
            "PostgreSQL restart",
            f"down {log.pg_up_at - log.pg_down_at:.1f} s (pg_ctl restart -m fast); first "
            "success "
            + (
                f"{first - log.pg_down_at:.1f} s after the restart began, "
                f"{max(0.0, first - log.pg_up_at):.1f} s after it was back"
                if first is not None
                else "NEVER"
            )
            + f"; {late} error(s) after it was back",
        ]
    ]
    rows += [[name, text] for name, text in log.recovery]
    return Section("Recovery", ["fault", "what happened"], rows)


def log_events(logs: Path) -> Section:
    counts: Counter[str] = Counter()
    for path in sorted(logs.glob("*.log")):
        source = "worker" if path.name.startswith("worker") else path.stem
        for line in path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                event = entry.get("event", "")
                if entry.get("level") in ("warning", "error") or event.startswith("outbox_"):
                    counts[f"{source}: {event} {entry.get('error_type', '')}".strip()] += 1
    return Section(
        "Log events (warnings, errors, outbox)",
        ["event", "count"],
        [[event, f"{n:,}"] for event, n in sorted(counts.items())],
    )


def checks_section(checks: list[Check]) -> Section:
    return Section(
        "Checks",
        ["check", "result", "detail"],
        [[c.name, "ok" if c.passed else "FAILED", c.detail] for c in checks],
    )


def show(sections: list[Section], header: str, markdown: Path | None) -> None:
    console.print(header)
    for section in sections:
        table = Table(*section.headers, title=section.title, title_justify="left")
        for row in section.rows:
            table.add_row(*row)
        console.print(table)
    if markdown is None:
        return
    out = [f"# Faults under load\n\n{header}\n"]
    for section in sections:
        out.append(
            f"\n## {section.title}\n\n| "
            + " | ".join(section.headers)
            + " |\n|"
            + "---|" * len(section.headers)
            + "\n"
        )
        out += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n"
            for row in section.rows
        ]
    markdown.write_text("".join(out))


# --- the run ----------------------------------------------------------------------------------


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


async def bench(rig: Rig, args: argparse.Namespace) -> int:
    run, period, began = f"f{secrets.token_hex(3)}", previous_month(), time.monotonic()
    console.print(f"Starting PostgreSQL, Redis, SMTP and linedesk in {rig.root} …")
    redis_port, smtp_port = await start_infrastructure(rig, args)
    base = await start_linedesk(rig, args, redis_port, smtp_port)
    setup = time.monotonic() - began
    console.print(f"Ready in {setup:.0f} s. Load for {args.duration:.0f} s with faults …")
    load, log = await run_load(rig, base, args, run, period)
    drained = await drain(rig, load, args.drain)
    assert rig.smtp is not None
    db = await asyncpg.connect(rig.db_url)
    try:
        checks = [
            *await check_usage(db, run, load.ledger),
            *await check_invoices(db, date.fromisoformat(period + "-01"), log.billing),
            *await check_mail(db, rig.smtp.relay, load.ledger, log.killed_mid_send, log.killed_at),
        ]
        others = await other_channels(db)
    finally:
        await db.close()
    header = (
        f"linedesk production mode: PostgreSQL 15 (private), Redis, 2 API processes, "
        f"2 outbox workers; {args.lines:,} demo lines; {args.duration:.0f} s of load; "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
        f"{os.getloadavg()[0]:.1f}. Set-up {setup:.0f} s; {drained}. "
        f"Other channels (no gateway in this bench): {others}."
    )
    sections = [
        requests_by_window(load.outcomes, log.windows, args.duration),
        requests_by_kind(load.outcomes),
        recovery(load.outcomes, log),
        checks_section(checks),
        log_events(rig.owned.logs),
    ]
    show(sections, header, args.markdown)
    return 0 if all(check.passed for check in checks) else 1


def cleanup(rig: Rig, keep: bool) -> None:
    rig.owned.stop_all()
    if rig.smtp is not None:
        rig.smtp.stop()
    if rig.pg is not None:
        rig.pg.stop()
    if keep:
        console.print(f"Kept {rig.root}")
    else:
        shutil.rmtree(rig.root, ignore_errors=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=150, help="seconds of load")
    parser.add_argument("--lines", type=int, default=500, help="demo lines to load")
    parser.add_argument("--records", type=int, default=200, help="usage records per upload")
    parser.add_argument("--smtp-outage", type=float, default=30, help="seconds SMTP is away")
    parser.add_argument(
        "--smtp-latency",
        type=float,
        default=0.2,
        help="seconds the SMTP server takes to answer 250 to a message",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=120,
        help="longest wait for the outbox to drain after the load",
    )
    parser.add_argument("--pg-port", type=int, default=0, help="port of the private PostgreSQL")
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args()


def interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def owned_rig(keep: bool) -> Iterator[Rig]:
    root = Path(tempfile.mkdtemp(prefix="linedesk-faults-"))
    root.chmod(0o755)  # the postgres user works in a subdirectory
    (root / "logs").mkdir()
    rig = Rig(root, Owned(root / "logs"))
    try:
        yield rig
    finally:
        cleanup(rig, keep)


def main() -> int:
    args = arguments()
    if os.geteuid() != 0:
        console.print("Run as root: the private PostgreSQL runs as the postgres user.")
        return 2
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    with owned_rig(args.keep) as rig:
        try:
            return asyncio.run(bench(rig, args))
        except KeyboardInterrupt:
            console.print("Interrupted: stopping everything.")
            return 130


if __name__ == "__main__":
    sys.exit(main())
