"""What every benchmark needs: a database to run on, a server process, latency figures."""

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/linedesk_bench"


def database_url() -> str:
    return os.environ.get("LINEDESK_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_postgres_database(url: str) -> None:
    """Start from an empty database (PostgreSQL only; a SQLite URL is used as it is)."""
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    for statement in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                      f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc",
                        statement], check=True)


def linedesk(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "linedesk.cli", *args], env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout


@contextmanager
def server(env: dict[str, str], port: int, app: str = "linedesk.app:create_app",
           app_dir: Path | None = None) -> Iterator[str]:
    """One API process (uvicorn, as `linedesk serve` runs it), stopped afterwards; `app` is
    the factory to serve (a benchmark may add a baseline route to the real app)."""
    extra = ["--app-dir", str(app_dir)] if app_dir else []
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--factory", *extra,
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> "Latency":
        ordered = sorted(seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(len(ordered), statistics.median(ordered) * 1000, p99 * 1000)


async def timed_reads(client: httpx.AsyncClient, path: str, headers: dict[str, str],
                      duration: float) -> list[float]:
    """Back-to-back reads for `duration` seconds; every one must succeed."""
    latencies = []
    end = time.perf_counter() + duration
    while time.perf_counter() < end:
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return latencies


def machine() -> str:
    cores = os.cpu_count()
    return f"{cores} cores, Python {sys.version.split()[0]}, {sys.platform}"


