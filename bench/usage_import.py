"""Usage import (SPEC §10, issue 5): N usage records for the large demo data set, imported
through the same code as `linedesk usage import` (parsing, rating, counters, COPY), beside a
raw COPY of the same rows into an unindexed table, same database, same run; then the same
file again, which must add nothing. Targets: ≥ 100,000 records/s and ≥ 30% of the raw COPY.

    python bench/usage_import.py [--lines 100000] [--records 500000]
"""

import argparse
import asyncio
import csv
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import database_url, linedesk, machine, recreate_postgres_database
from linedesk.cli.usage import import_path

OUT = Path(__file__).resolve().parent / "out"
TYPES = (("data", 2_000_000), ("voice", 600), ("sms", 1))
DESTINATIONS = ("national",) * 17 + ("eu_roaming", "international", "premium")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _numbers(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT msisdn FROM lines WHERE kind = 'mobile' "
                                      "AND status <> 'ceased' AND activation_date < $1",
                                      datetime.now(UTC).date() - timedelta(days=2))
    finally:
        await connection.close()
    return [row["msisdn"] for row in rows]


def generate(path: Path, numbers: list[str], count: int, seed: int = 5) -> None:
    """`count` records over the last two days, for random lines, in no particular order."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=2)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(("record_id", "line", "started_at", "type", "quantity", "destination"))
        for n in range(count):
            usage_type, most = TYPES[n % 3]
            at = start + timedelta(seconds=rng.randrange(170_000))
            writer.writerow((f"bench-{seed}-{n:09d}", rng.choice(numbers),
                             at.isoformat(timespec="seconds"), usage_type,
                             rng.randrange(1, most + 1), rng.choice(DESTINATIONS)))


async def raw_copy(dsn: str, path: Path) -> float:
    """The baseline: the same rows into a plain table with no index, key or constraint."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS bench_raw_usage; CREATE TABLE bench_raw_usage (record_id "
            "varchar(64), line varchar(20), started_at timestamptz, type varchar(32), "
            "quantity bigint, destination varchar(32))")
        started = time.perf_counter()
        await connection.copy_to_table("bench_raw_usage", source=path, format="csv",
                                       header=True)
        return time.perf_counter() - started
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    url = database_url()
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL (LINEDESK_BENCH_DATABASE_URL)")
    recreate_postgres_database(url)
    env = os.environ | {"LINEDESK_DATABASE_URL": url, "LINEDESK_LOG_LEVEL": "WARNING",
                        "LINEDESK_DATA_DIR": str(OUT)}
    os.environ.update(env)
    linedesk("migrate", env=env)
    linedesk("demo", "load", "--lines", str(args.lines), env=env)
    OUT.mkdir(exist_ok=True)
    path = OUT / f"usage-{args.records}.csv"
    generate(path, asyncio.run(_numbers(_dsn(url))), args.records)

    copy_seconds = asyncio.run(raw_copy(_dsn(url), path))
    started = time.perf_counter()
    first = asyncio.run(import_path(path, args.batch_size, url))
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = asyncio.run(import_path(path, args.batch_size, url))
    again_seconds = time.perf_counter() - started

    rates = {"raw COPY (unindexed table)": args.records / copy_seconds,
             "import (parse, rate, count, COPY)": args.records / import_seconds,
             "re-import (all duplicates)": args.records / again_seconds}
    ratio = rates["import (parse, rate, count, COPY)"] / rates["raw COPY (unindexed table)"]
    print(f"machine: {machine()}; database: {url.split('@')[-1]}")
    print(f"{args.records:,} records for {args.lines:,} lines, batches of {args.batch_size:,}")
    for label, rate in rates.items():
        print(f"  {label:<38}{rate:>12,.0f} records/s")
    print(f"imported {first.imported:,} (duplicates {first.duplicates:,}); "
          f"re-import imported {again.imported:,} (duplicates {again.duplicates:,})")
    speed = rates["import (parse, rate, count, COPY)"]
    print(f"import / raw COPY: {ratio:.0%}; targets ≥ 100,000 records/s: "
          f"{'pass' if speed >= 100_000 else 'short'}, ≥ 30% of COPY: "
          f"{'pass' if ratio >= 0.30 else 'short'}, re-import adds nothing: "
          f"{'pass' if again.imported == 0 else 'FAIL'}")


if __name__ == "__main__":
    main()
