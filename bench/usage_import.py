"""Usage import (SPEC §10, issue 5): N usage records for the large demo data set, imported
through the same code as `linedesk usage import` (parsing, rating, counters, COPY), beside a
raw COPY of the same rows into an unindexed table, same database, same run; then the same
file again, which must add nothing. Targets: ≥ 100,000 records/s and ≥ 30% of the raw COPY.

    python bench/usage_import.py [--scale small|full] [--lines N] [--records N]
                                 [--batch-size N]
"""

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
from common import OUT, Params, bench_database, bench_env, cli, dsn, fresh_database, say
from linedesk.cli.usage import import_path
from linedesk.kit.heap import frozen_startup_heap
from linedesk.usage.files import DEFAULT_BATCH_SIZE
from report import Figure

NAME = "usage"
SCALES: dict[str, Params] = {
    "small": {"lines": 10_000, "records": 50_000, "batch_size": DEFAULT_BATCH_SIZE},
    "full": {"lines": 100_000, "records": 200_000, "batch_size": DEFAULT_BATCH_SIZE},
}
RATE, RATIO = 100_000, 0.30
TYPES = (("data", 2_000_000), ("voice", 600), ("sms", 1))
DESTINATIONS = ("national",) * 17 + ("eu_roaming", "international", "premium")


async def _numbers(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT msisdn FROM lines WHERE kind = 'mobile' "
            "AND status <> 'ceased' AND activation_date < $1",
            datetime.now(UTC).date() - timedelta(days=2),
        )
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
            writer.writerow(
                (
                    f"bench-{seed}-{n:09d}",
                    rng.choice(numbers),
                    at.isoformat(timespec="seconds"),
                    usage_type,
                    rng.randrange(1, most + 1),
                    rng.choice(DESTINATIONS),
                )
            )


async def raw_copy(dsn: str, path: Path) -> float:
    """The baseline: the same rows into a plain table with no index, key or constraint."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS bench_raw_usage; CREATE TABLE bench_raw_usage (record_id "
            "varchar(64), line varchar(20), started_at timestamptz, type varchar(32), "
            "quantity bigint, destination varchar(32))"
        )
        started = time.perf_counter()
        await connection.copy_to_table("bench_raw_usage", source=path, format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await connection.close()


def run(lines: int, records: int, batch_size: int) -> list[Figure]:
    url = bench_database(NAME)
    env = bench_env(url)
    os.environ.update(env)  # the import runs in this process
    fresh_database(url, env, lines)
    path = OUT / f"usage-{records}.csv"
    generate(path, asyncio.run(_numbers(dsn(url))), records)

    copy_seconds = asyncio.run(raw_copy(dsn(url), path))
    with frozen_startup_heap():  # as `linedesk usage import` does (a bulk command)
        started = time.perf_counter()
        first = asyncio.run(import_path(path, batch_size, url))
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = asyncio.run(import_path(path, batch_size, url))
        again_seconds = time.perf_counter() - started
    say(
        f"imported {first.imported:,} (duplicates {first.duplicates:,}) in "
        f"{import_seconds:.1f} s; re-import {again.imported:,} imported "
        f"({again.duplicates:,} duplicates) in {again_seconds:.1f} s"
    )

    rate, copy_rate = records / import_seconds, records / copy_seconds
    what = f"import (parse, rate, count, COPY), {records:,} records, {lines:,} lines"
    return [
        Figure(
            NAME,
            what,
            rate,
            "records/s",
            copy_rate,
            "raw COPY",
            f"≥ {RATIO:.0%} of the raw COPY",
            rate >= RATIO * copy_rate,
        ),
        Figure(
            NAME,
            "import, the same run's rate",
            rate,
            "records/s",
            RATE,
            "target",
            f"≥ {RATE:,} records/s",
            rate >= RATE,
        ),
        Figure(
            NAME,
            f"re-import of the same file ({records / again_seconds:,.0f} records/s)",
            again.imported,
            "records",
            None,
            "",
            "adds nothing",
            again.imported == 0,
        ),
    ]


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
