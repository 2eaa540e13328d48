"""Sign-in flood (SPEC §10, issue 4): 200 wrong-password sign-ins per second, from many
addresses and usernames (so the rate limits do not stop them and every one costs an argon2id
verification), while an authenticated read is timed. Baseline: the same read, no flood,
same server, same run. Target: the read's p99 stays under 50 ms.

    python bench/signin_flood.py [--rate 200] [--seconds 20]
"""

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Latency,
    database_url,
    free_port,
    linedesk,
    machine,
    recreate_postgres_database,
    server,
    timed_reads,
)

PASSWORD = "Prova-Linedesk-42!"


async def flood(base: str, rate: int, seconds: float) -> Counter[int]:
    """`rate` wrong-password sign-ins a second, each from its own address and username."""
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 limits=httpx.Limits(max_connections=400)) as client:
        async def one(n: int) -> None:
            response = await client.post("/api/v1/auth/login", json={
                "username": f"+39347{n % 10_000_000:07d}", "password": f"wrong-{n}-password"},
                headers={"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"})
            statuses[response.status_code] += 1

        tasks = []
        start = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return statuses


async def measure(base: str, rate: int, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        demo = (await client.post("/api/v1/auth/login", json={
            "username": "admin.bellini", "password": PASSWORD})).json()
        auth = {"Authorization": f"Bearer {demo['access_token']}"}
        await timed_reads(client, "/api/v1/me", auth, 2)  # warm up
        quiet = Latency.of(await timed_reads(client, "/api/v1/me", auth, seconds / 2))
        started = time.perf_counter()
        reads, statuses = await asyncio.gather(
            timed_reads(client, "/api/v1/me", auth, seconds), flood(base, rate, seconds))
        achieved = sum(statuses.values()) / (time.perf_counter() - started)
    loud = Latency.of(reads)
    print(f"machine: {machine()}; database: {database_url().split('@')[-1]}")
    print(f"flood: {sum(statuses.values())} wrong sign-ins at {achieved:.0f}/s "
          f"(asked {rate}/s); answers: {dict(statuses)}")
    print(f"{'GET /api/v1/me':<28}{'reads':>8}{'p50 ms':>10}{'p99 ms':>10}")
    for label, figures in (("  baseline (no flood)", quiet), ("  during the flood", loud)):
        print(f"{label:<28}{figures.count:>8}{figures.p50_ms:>10.1f}{figures.p99_ms:>10.1f}")
    verdict = "pass" if loud.p99_ms < 50 else "short"
    print(f"p99 during / baseline: {loud.p99_ms / quiet.p99_ms:.2f}x; "
          f"target p99 < 50 ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    url = database_url()
    recreate_postgres_database(url)
    env = os.environ | {"LINEDESK_DATABASE_URL": url, "LINEDESK_TRUSTED_PROXIES": "127.0.0.1/32",
                        "LINEDESK_LOG_LEVEL": "WARNING", "LINEDESK_DATA_DIR": "bench/out"}
    linedesk("migrate", env=env)
    linedesk("demo", "load", env=env)
    with server(env, free_port()) as base:
        asyncio.run(measure(base, args.rate, args.seconds))


if __name__ == "__main__":
    main()
