"""Counters endpoint (SPEC §10, issue 5): GET /api/v1/lines/{msisdn}/summary for random lines
of a company, against a bare endpoint of the same stack doing one primary-key read, side by
side in the same run, same server process, same client at a fixed concurrency.
Targets: summary ≥ 50% of the bare endpoint's requests/s, and its p99 < 20 ms.

    python bench/summary.py [--lines 100000] [--seconds 10] [--concurrency 16] [--reuse]
"""

import argparse
import asyncio
import os
import random
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Latency,
    database_url,
    free_port,
    linedesk,
    machine,
    recreate_postgres_database,
    server,
)
from linedesk.db import create_engine
from linedesk.kit.clock import utcnow

PASSWORD = "Prova-Linedesk-42!"
MANAGER = "bench.manager"
BENCH_DIR = Path(__file__).resolve().parent

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
            print(f"counters: {added} rows added in {time.perf_counter() - started:.1f} s")
            await connection.execute(text("ANALYZE"))
            rows = (await connection.execute(text(LINES_OF), {"username": MANAGER})).all()
        return [(int(row[0]), str(row[1])) for row in rows]
    finally:
        await engine.dispose()


async def load(client: httpx.AsyncClient, paths: list[str], headers: dict[str, str],
               seconds: float, concurrency: int) -> tuple[float, list[float]]:
    """`concurrency` workers, back to back, random paths; every answer must be 200."""
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


async def measure(base: str, lines: list[tuple[int, str]], seconds: float,
                  concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        login = await client.post("/api/v1/auth/login",
                                  json={"username": MANAGER, "password": PASSWORD})
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        cases = {
            "(a) bare PK read": ([f"/bench/bare/{id}" for id, _ in lines], {}),
            "(b) summary": ([f"/api/v1/lines/{msisdn}/summary" for _, msisdn in lines], auth),
        }
        for paths, headers in cases.values():  # warm up both
            await load(client, paths, headers, 2, concurrency)
        results: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cases}
        for _ in range(2):  # alternate, so drift of the machine hits both alike
            for label, (paths, headers) in cases.items():
                rate, latencies = await load(client, paths, headers, seconds / 2, concurrency)
                results[label][0].append(rate)
                results[label][1].extend(latencies)
    print(f"machine: {machine()}; database: {database_url().split('@')[-1]}; "
          f"{len(lines)} lines of the manager's company; concurrency {concurrency}")
    print(f"{'endpoint':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    rates = {}
    for label, (rate_list, latencies) in results.items():
        rates[label] = sum(rate_list) / len(rate_list)
        figures = Latency.of(latencies)
        print(f"{label:<22}{rates[label]:>9.0f}{figures.p50_ms:>9.1f}{figures.p99_ms:>9.1f}")
    ratio = rates["(b) summary"] / rates["(a) bare PK read"]
    p99 = Latency.of(results["(b) summary"][1]).p99_ms
    print(f"ratio (b)/(a): {ratio:.0%} (target ≥ 50%: {'pass' if ratio >= 0.5 else 'short'}); "
          f"summary p99 {p99:.1f} ms (target < 20 ms: {'pass' if p99 < 20 else 'short'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()
    url = database_url()
    env = os.environ | {"LINEDESK_DATABASE_URL": url, "LINEDESK_LOG_LEVEL": "WARNING",
                        "LINEDESK_DATA_DIR": "bench/out"}
    if not args.reuse:
        recreate_postgres_database(url)
        linedesk("migrate", env=env)
        started = time.perf_counter()
        linedesk("demo", "load", "--lines", str(args.lines), env=env)
        print(f"demo load --lines {args.lines}: {time.perf_counter() - started:.0f} s "
              f"(at {utcnow():%Y-%m-%d %H:%M} UTC)")
    lines = asyncio.run(prepare(url))
    with server(env, free_port(), app="bare_app:create_bench_app", app_dir=BENCH_DIR) as base:
        asyncio.run(measure(base, lines, args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
