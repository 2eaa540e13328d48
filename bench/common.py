"""What every benchmark needs: a database to run on, a server process, latency figures, and
the command line every benchmark shares (`--scale small|full` and one flag per size)."""

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from report import Figure, print_table

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/linedesk_bench"
OUT = Path(__file__).resolve().parent / "out"
Params = dict[str, int | float | bool]


def database_url() -> str:
    return os.environ.get("LINEDESK_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def bench_database(name: str) -> str:
    """The benchmark's own database: LINEDESK_BENCH_DATABASE_URL's name + `_<name>`."""
    url = database_url()
    if not url.startswith("postgresql"):
        raise SystemExit("the benchmarks run on PostgreSQL (LINEDESK_BENCH_DATABASE_URL)")
    return f"{url}_{name}"


def dsn(url: str) -> str:
    """The URL as asyncpg wants it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


def bench_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of the CLI and server processes a benchmark starts."""
    return (
        os.environ
        | {
            "LINEDESK_DATABASE_URL": url,
            "LINEDESK_LOG_LEVEL": "WARNING",
            "LINEDESK_DATA_DIR": str(OUT),
            # No daily jobs inside the measured API process: at start-up they would bill the
            # demo's last month for every line while the figures are taken.
            "LINEDESK_SCHEDULER_EMBEDDED": "false",
        }
        | extra
    )


def say(message: str) -> None:
    """Progress, on stderr, so the table stays the only thing on stdout."""
    print(f"  · {message}", file=sys.stderr, flush=True)


def fresh_database(
    url: str, env: dict[str, str], lines: int | None = None, usage: bool = True
) -> None:
    """Recreate the database, migrate it and load the demo data (`lines` lines, if given)."""
    recreate_postgres_database(url)
    OUT.mkdir(exist_ok=True)
    linedesk("migrate", env=env)
    started = time.perf_counter()
    size = ["--lines", str(lines)] if lines else []
    linedesk("demo", "load", *size, *([] if usage else ["--no-usage"]), env=env)
    say(
        f"{url.rsplit('/', 1)[1]}: demo load {' '.join(size) or '(default size)'} in "
        f"{time.perf_counter() - started:.0f} s"
    )


def loaded_lines(url: str) -> int:
    """How many lines the benchmark database at `url` holds (0 when it does not exist)."""
    name = url.rsplit("/", 1)[1]
    done = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            name,
            "-tAc",
            "SELECT count(*) FROM lines",
        ],
        capture_output=True,
        text=True,
    )
    return int(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_postgres_database(url: str) -> None:
    """Start from an empty database (PostgreSQL only; a SQLite URL is used as it is)."""
    if not url.startswith("postgresql"):
        return
    name = url.rsplit("/", 1)[1]
    for statement in (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    ):
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", statement],
            check=True,
        )


def linedesk(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "linedesk.cli", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"linedesk {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextmanager
def server(
    env: dict[str, str], port: int, app: str = "linedesk.app:create_app", processes: int = 1
) -> Iterator[str]:
    """The API (uvicorn, as `linedesk serve` runs it) in `processes` processes, stopped
    afterwards; `app` is the factory to serve (a benchmark may add a baseline route to the
    real app). The app must be importable from the environment's PYTHONPATH."""
    with server_process(env, port, app, processes) as running:
        yield running.base


SERVERS = ("uvicorn", "granian")


def server_name() -> str:
    """The ASGI server the benchmarks run: LINEDESK_BENCH_SERVER, else `linedesk serve`'s."""
    name = os.environ.get("LINEDESK_BENCH_SERVER", "uvicorn")
    if name not in SERVERS:
        raise SystemExit(f"LINEDESK_BENCH_SERVER must be one of {', '.join(SERVERS)}")
    return name


def server_command(app: str, port: int, processes: int = 1) -> list[str]:
    """The API as `linedesk serve --workers N` starts it: uvicorn on uvloop and httptools (what
    uvicorn[standard] picks), or granian (its Rust HTTP/1 server, the uvloop event loop)."""
    if server_name() == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--workers",
            str(processes),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "1",
            "--no-ws",
            "--log-level",
            "warning",
            "--no-access-log",
            app,
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--workers",
        str(processes),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


@contextmanager
def server_process(
    env: dict[str, str],
    port: int,
    app: str = "linedesk.app:create_app",
    processes: int = 1,
) -> Iterator[Server]:
    """As `server`, with the process id (for its memory: that of the one API process)."""
    process = subprocess.Popen(server_command(app, port, processes), env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # a busy machine starts slowly
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}) on start-up")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 300 s")
            time.sleep(0.2)
        yield Server(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine may not finish shutting down
            process.kill()
            process.wait()


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


async def load(
    client: httpx.AsyncClient,
    paths: Sequence[str],
    headers: dict[str, str],
    seconds: float,
    concurrency: int,
) -> tuple[float, list[float]]:
    """`concurrency` workers, back to back, random paths, for `seconds`; every answer must be
    200. Returns requests/s and the latencies."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < end:
            started = time.perf_counter()
            response = await client.get(random.choice(paths), headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{response.url} answered {response.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_paths.lua"
WRK_ERRORS = ("connect", "read", "write", "status", "timeout")


def wrk_load(
    base: str, paths: Sequence[str], headers: dict[str, str], seconds: int, concurrency: int
) -> tuple[float, list[float]]:
    """As `load`, from wrk (Debian's package): C on one thread, so the client takes a small
    share of the cores the server shares with it, where httpx took about as much CPU per
    request as the server. `concurrency` keep-alive connections, back to back, random paths;
    every answer must be 2xx. Returns requests/s and every request's latency, as wrk
    measured it (to the microsecond)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("the read benchmarks need wrk: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".paths") as listed:
        listed.write("\n".join(paths) + "\n")
        listed.flush()
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, seconds)}s"]
        command += ["--timeout", "30s", "-s", str(WRK_SCRIPT), base, "--", listed.name]
        command += [f"{name}: {value}" for name, value in headers.items()]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    ours = [line for line in output.splitlines() if line.startswith(("WRK ", "LATENCIES "))]
    lines = dict(line.split(" ", 1) for line in ours)
    figures = json.loads(lines["WRK"])
    if errors := {kind: figures[kind] for kind in WRK_ERRORS if figures[kind]}:
        raise RuntimeError(f"wrk on {paths[0]}…: errors {errors}")
    latencies = []
    for counted in lines["LATENCIES"].split():
        us, count = counted.split(":")
        latencies += [int(us) / 1e6] * int(count)
    return figures["requests"] / (figures["duration_us"] / 1e6), latencies


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(
        line.split(":", 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in line
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def _postgres_version() -> str:
    try:
        done = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                "SHOW server_version",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return done.stdout.split()[0] if done.returncode == 0 and done.stdout else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def core_speed() -> float:
    """Seconds for 10 million Python additions, the best of three: machines of the same kind
    are not all equally fast (two sessions' quiet runs of the same bare read gave 357 and
    ~160 requests/s), and every figure here scales with it."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best


def machine() -> str:
    """Cores, memory, Python, PostgreSQL and how fast a core runs Python: what the figures
    depend on."""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GB memory"
    except (OSError, IndexError, ValueError):
        memory = "memory ?"
    return (
        f"{os.cpu_count()} cores, {memory}, Python {sys.version.split()[0]}, "
        f"PostgreSQL {_postgres_version()}, {sys.platform}, "
        f"10M Python additions in {core_speed():.2f} s"
    )


def cli(doc: str | None, run: Callable[..., list[Figure]], scales: dict[str, Params]) -> None:
    """A benchmark's own command: `--scale small|full` (default full, the SPEC's sizes), and
    one flag per size to override it; prints the machine and the benchmark's table."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    parser.add_argument("--scale", choices=sorted(scales), default="full")
    for key, value in scales["full"].items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true", default=None)
        else:
            parser.add_argument(flag, type=type(value), default=None)
    args = parser.parse_args()
    params = scales[args.scale] | {
        key: getattr(args, key) for key in scales["full"] if getattr(args, key) is not None
    }
    print(f"machine: {machine()}")
    print_table(
        run(**params),
        title=f"scale {args.scale}: " + ", ".join(f"{k}={v}" for k, v in params.items()),
    )
