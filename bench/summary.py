"""Counters and widget (SPEC §10, issue 5): GET /api/v1/lines/{msisdn}/summary and
GET /api/v1/widget?line= for random lines of a company, each beside a bare endpoint of the same
stack doing one primary-key read, side by side in the same run, same server process, same
client (wrk) at a fixed concurrency. Targets (issue 15): ≥ 75 % of the bare endpoint's requests/s,
p99 no more than 1.5 × the bare read's and < 20 ms.

The API runs as production runs it (deploy/compose.yaml): `--processes` API processes (the
compose file's API_PROCESSES, 2), the outbox and provisioning workers in processes of their
own rather than inside the API's.

    python bench/summary.py [--scale small|full] [--lines N] [--seconds S] [--concurrency C]
                            [--processes P] [--reuse]

Database: LINEDESK_BENCH_SUMMARY_DATABASE_URL when set (its name as it is), else
LINEDESK_BENCH_DATABASE_URL's name + `_summary`.
"""

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Latency,
    Params,
    bench_database,
    bench_env,
    cli,
    free_port,
    fresh_database,
    say,
    server,
    wrk_load,
)
from linedesk.db import create_engine
from report import Figure

PASSWORD = "Prova-Linedesk-42!"
MANAGER = "bench.manager"
BENCH_DIR = Path(__file__).resolve().parent
NAME = "summary"
SCALES: dict[str, Params] = {
    "small": {"lines": 10_000, "seconds": 4, "concurrency": 4, "processes": 2, "reuse": False},
    "full": {"lines": 100_000, "seconds": 10, "concurrency": 4, "processes": 2, "reuse": False},
}
RATIO, P99_MS, P99_RATIO = 0.75, 20.0, 1.5
TURN_SECONDS = 2

# A manager for the company with the most lines, with the demo manager's password.
ADD_MANAGER = """
INSERT INTO users (company_id, profile, username, password_hash, must_change_password,
                   language, totp_enabled, created_at)
SELECT (SELECT company_id FROM lines GROUP BY company_id ORDER BY count(*) DESC LIMIT 1),
       'user_admin', :username, password_hash, false, 'it', false, created_at
FROM users WHERE username = 'admin.bellini'
ON CONFLICT DO NOTHING
"""
# A counter for the current period for every line, as the usage import leaves them.
ADD_COUNTERS = """
INSERT INTO line_counters (line_id, period, company_id, data_bytes, voice_seconds, sms_count,
                           roaming_data_bytes, charges, roaming_charges, roaming_events,
                           updated_at)
SELECT id, date_trunc('month', now() AT TIME ZONE 'Europe/Rome')::date, company_id,
       (id * 7919) % 60000000000, (id * 31) % 30000, id % 120, 0, (id % 997) / 100.0, 0, 0, now()
FROM lines
ON CONFLICT DO NOTHING
"""
LINES_OF = """SELECT l.id, l.msisdn FROM lines l JOIN users u ON u.company_id = l.company_id
              WHERE u.username = :username"""


async def prepare(url: str) -> list[tuple[int, str]]:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(ADD_MANAGER), {"username": MANAGER})
            started = time.perf_counter()
            added = (await connection.execute(text(ADD_COUNTERS))).rowcount
            say(f"counters: {added} rows added in {time.perf_counter() - started:.1f} s")
            await connection.execute(text("ANALYZE"))
            rows = (await connection.execute(text(LINES_OF), {"username": MANAGER})).all()
        return [(int(row[0]), str(row[1])) for row in rows]
    finally:
        await engine.dispose()


def login(base: str, username: str = MANAGER) -> dict[str, str]:
    response = httpx.post(
        base + "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def measure(
    base: str, lines: list[tuple[int, str]], seconds: float, concurrency: int
) -> dict[str, tuple[float, Latency]]:
    """Requests/s and latencies per endpoint from wrk, the endpoints taking turns of 2 s
    each (at least two each): drift of the machine hits them alike, and so does where the
    connections land. Each turn opens its 4 connections afresh and the API processes take
    them as they come: 2–2 or 3–1 or 4–0 between 2 processes, which moves p50 by 2× from one
    turn to the next. The mean rate of the turns, the percentiles of all their requests."""
    auth = login(base)
    cases = {
        "bare": ([f"/bench/bare/{id}" for id, _ in lines], {}),
        "summary": ([f"/api/v1/lines/{msisdn}/summary" for _, msisdn in lines], auth),
        # the number encoded as a client encodes it (a bare "+" in a query means a space)
        "widget": ([f"/api/v1/widget?line={quote(msisdn)}" for _, msisdn in lines], auth),
    }
    for paths, headers in cases.values():  # warm up all
        wrk_load(base, paths, headers, 2, concurrency)
    rates: dict[str, list[float]] = {k: [] for k in cases}
    latencies: dict[str, list[float]] = {k: [] for k in cases}
    turns = max(2, round(seconds / TURN_SECONDS))
    for _ in range(turns):
        for label, (paths, headers) in cases.items():
            rate, each = wrk_load(base, paths, headers, round(seconds / turns), concurrency)
            rates[label].append(rate)
            latencies[label] += each
    return {
        label: (statistics.fmean(rates[label]), Latency.of(latencies[label])) for label in cases
    }


def figures(
    results: dict[str, tuple[float, Latency]], lines: int, concurrency: int, processes: int
) -> list[Figure]:
    bare_rate, bare = results["bare"]
    rows = []
    for label, endpoint in (
        ("summary", "GET /lines/{msisdn}/summary"),
        ("widget", "GET /widget?line="),
    ):
        rate, latency = results[label]
        rows += [
            Figure(
                NAME,
                f"{endpoint}, {lines:,} lines, concurrency {concurrency}, "
                f"{processes} API process{'es' if processes > 1 else ''} "
                f"(bare p99 {bare.p99_ms:.1f} ms)",
                rate,
                "req/s",
                bare_rate,
                "bare PK read",
                f"≥ {RATIO:.0%} of the bare read",
                rate >= RATIO * bare_rate,
            ),
            Figure(
                NAME,
                f"{endpoint}, p99 at that load (p50 {latency.p50_ms:.1f} ms)",
                latency.p99_ms,
                "ms",
                P99_MS,
                "target",
                f"< {P99_MS:.0f} ms",
                latency.p99_ms < P99_MS,
            ),
            Figure(
                NAME,
                f"{endpoint}, p99 beside the bare read's",
                latency.p99_ms,
                "ms",
                bare.p99_ms,
                "bare PK read p99",
                f"≤ {P99_RATIO} × the bare read's",
                latency.p99_ms <= P99_RATIO * bare.p99_ms,
            ),
        ]
    return rows


# The workers poll the database: in production they run beside the API, not inside it.
OWN_PROCESS_WORKERS = {
    "LINEDESK_OUTBOX_EMBEDDED_WORKER": "false",
    "LINEDESK_PROVISIONING_EMBEDDED_WORKER": "false",
}


def run(
    lines: int, seconds: float, concurrency: int, processes: int = 2, reuse: bool = False
) -> list[Figure]:
    url = os.environ.get("LINEDESK_BENCH_SUMMARY_DATABASE_URL") or bench_database(NAME)
    env = bench_env(url, **OWN_PROCESS_WORKERS)
    if not reuse:
        fresh_database(url, env, lines)
    company_lines = asyncio.run(prepare(url))
    path = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))  # bare_app
    api = "bare_app:create_bench_app"
    with server(env | {"PYTHONPATH": path}, free_port(), api, processes) as base:
        results = measure(base, company_lines, seconds, concurrency)
    return figures(results, lines, concurrency, processes)


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
