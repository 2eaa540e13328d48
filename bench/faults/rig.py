"""The rig: the processes the bench starts and owns (PostgreSQL, Redis, SMTP, linedesk)."""

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from rich.console import Console

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
