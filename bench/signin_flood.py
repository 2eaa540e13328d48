"""Sign-in flood (SPEC §10, issue 4): 200 wrong-password sign-ins per second, from many
addresses and usernames (so the rate limits do not stop them and every one costs an argon2id
verification), while an authenticated read is timed. Baseline: the same read, no flood,
same server, same run. Target: the read's p99 stays under 50 ms.

    python bench/signin_flood.py [--rate 200] [--seconds 20]
"""

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from collections import Counter
from multiprocessing import Queue
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


async def flood(base: str, rate: int, seconds: float, senders: int = 32) -> Counter[str]:
    """`rate` wrong-password sign-ins a second, each from its own address and username, sent
    by `senders` keep-alive connections on a fixed schedule (late ones are not made up)."""
    statuses: Counter[str] = Counter()
    total = int(rate * seconds)
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 limits=httpx.Limits(max_connections=senders)) as client:
        async def sender(first: int) -> None:
            for n in range(first, total, senders):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -1:
                    statuses["skipped (sender late)"] += 1
                    continue
                try:
                    response = await client.post("/api/v1/auth/login", json={
                        "username": f"+39347{n % 10_000_000:07d}",
                        "password": f"wrong-{n}-password"},
                        headers={"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}."
                                                    f"{n & 255}"})
                    statuses[str(response.status_code)] += 1
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1

        await asyncio.gather(*(sender(i) for i in range(senders)))
    return statuses


def flood_process(base: str, rate: int, seconds: float, out: "Queue[dict[str, int]]") -> None:
    out.put(dict(asyncio.run(flood(base, rate, seconds))))


async def flood_elsewhere(base: str, rate: int, seconds: float) -> Counter[str]:
    """The flood runs in its own process, so the timed reads' client is not slowed by it."""
    context = multiprocessing.get_context("spawn")
    out: Queue[dict[str, int]] = context.Queue()
    process = context.Process(target=flood_process, args=(base, rate, seconds, out))
    process.start()
    result = await asyncio.to_thread(out.get)
    await asyncio.to_thread(process.join)
    return Counter(result)


async def measure(base: str, rate: int, seconds: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        demo = (await client.post("/api/v1/auth/login", json={
            "username": "admin.bellini", "password": PASSWORD})).json()
        auth = {"Authorization": f"Bearer {demo['access_token']}"}
        await timed_reads(client, "/api/v1/me", auth, 2)  # warm up
        quiet = Latency.of(await timed_reads(client, "/api/v1/me", auth, seconds / 2))
        started = time.perf_counter()
        reads, statuses = await asyncio.gather(
            timed_reads(client, "/api/v1/me", auth, seconds), flood_elsewhere(base, rate, seconds))
        sent = sum(v for k, v in statuses.items() if not k.startswith("skipped"))
        achieved = sent / (time.perf_counter() - started)
    loud = Latency.of(reads)
    print(f"machine: {machine()}; database: {database_url().split('@')[-1]}")
    print(f"flood: {sent} wrong sign-ins at {achieved:.0f}/s "
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
