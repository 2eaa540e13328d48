"""API process memory (SPEC §10): the resident memory (RSS) of one API process serving the
demo data set's 100,000 lines, right after start-up and at its peak during a mixed load of
a company manager's requests: counters, widgets (light and extended), usage detail, the
company's lines and billing accounts in pages of 500, the company data, the spending trend.
Target: ≤ 250 MB. Read from /proc/<pid>/status (VmRSS, and VmHWM for the peak).

    python bench/memory.py [--scale small|full] [--lines N] [--seconds S] [--concurrency C]
                           [--reuse]
"""

import asyncio
import random
import sys
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Params,
    bench_database,
    bench_env,
    cli,
    free_port,
    fresh_database,
    load,
    loaded_lines,
    memory_mb,
    say,
    server_process,
)
from report import Figure
from summary import login, prepare

NAME = "memory"
SCALES: dict[str, Params] = {
    "small": {"lines": 10_000, "seconds": 10, "concurrency": 16, "reuse": False},
    "full": {"lines": 100_000, "seconds": 30, "concurrency": 16, "reuse": False},
}
TARGET_MB = 250.0
PAGE = 500


def paths(lines: list[tuple[int, str]], rng: random.Random) -> list[str]:
    """A manager's mix: mostly counters and widgets, some pages of lists, a few trends."""
    numbers = [msisdn for _, msisdn in lines]
    pages = range(0, len(numbers), PAGE)
    some = rng.sample(numbers, min(len(numbers), 2_000))
    return (
        [f"/api/v1/lines/{n}/summary" for n in some]
        + [f"/api/v1/widget?line={quote(n)}" for n in some]
        + [f"/api/v1/widget?line={quote(n)}&variant=extended" for n in some[:500]]
        + [f"/api/v1/lines/{n}/usage" for n in some[:500]]
        + [f"/api/v1/company/lines?offset={o}&limit={PAGE}" for o in pages]
        + [
            f"/api/v1/billing-accounts?offset={o}&limit={PAGE}"
            for o in range(0, len(numbers) // 10, PAGE)
        ]
        + [
            "/api/v1/company",
            "/api/v1/spending",
            "/api/v1/spending?group_by=line",
            "/api/v1/invoices",
            "/api/v1/me",
        ]
        * 20
    )


async def mixed_load(
    base: str, lines: list[tuple[int, str]], seconds: float, concurrency: int
) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        auth = login(base)
        mix = paths(lines, random.Random(8))
        rate, latencies = await load(client, mix, auth, seconds, concurrency)
    say(f"mixed load: {len(latencies):,} requests ({rate:.0f}/s) over {len(mix):,} paths")
    return len(latencies)


def run(lines: int, seconds: float, concurrency: int, reuse: bool = False) -> list[Figure]:
    # The summary benchmark's data set (same demo load, same size) when it is there: loading
    # 100,000 lines twice would be a third of `make bench SCALE=full`.
    url = bench_database("summary")
    env = bench_env(url)
    if reuse or loaded_lines(url) == lines:
        say(f"reusing {url.rsplit('/', 1)[1]} ({lines:,} lines)")
    else:
        fresh_database(url, env, lines)
    company_lines = asyncio.run(prepare(url))
    with server_process(env, free_port()) as running:
        started_mb, _ = memory_mb(running.pid)
        requests = asyncio.run(mixed_load(running.base, company_lines, seconds, concurrency))
        now_mb, peak_mb = memory_mb(running.pid)
    what = f"API process RSS, {lines:,} lines"
    return [
        Figure(
            NAME,
            f"{what}, after start-up",
            started_mb,
            "MB",
            TARGET_MB,
            "target",
            f"≤ {TARGET_MB:.0f} MB",
            started_mb <= TARGET_MB,
        ),
        Figure(
            NAME,
            f"{what}, peak (VmHWM) over {requests:,} mixed requests (after them: {now_mb:.0f} MB)",
            peak_mb,
            "MB",
            TARGET_MB,
            "target",
            f"≤ {TARGET_MB:.0f} MB",
            peak_mb <= TARGET_MB,
        ),
    ]


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
