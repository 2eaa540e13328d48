"""Billing run (SPEC §10, issue 6): the demo data set's 100,000 lines (10,000 billing accounts
of 10 lines in the large company, plus the SME), extra traffic on a third of the lines, then
`linedesk billing run` for the previous month, timed; then the same month again, which must
issue nothing. Target: ≤ 60 s.

At a smaller scale the target is scaled with the lines (60 s per 100,000 lines).

    python bench/billing_run.py [--scale small|full] [--lines N] [--chunk-size N]
"""

import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Params, bench_database, bench_env, cli, dsn, fresh_database, say
from linedesk.cli.billing import run_period
from linedesk.kit.heap import frozen_startup_heap
from report import Figure

NAME = "billing"
SCALES: dict[str, Params] = {
    "small": {"lines": 10_000, "chunk_size": 500},
    "full": {"lines": 100_000, "chunk_size": 500},
}
TARGET_SECONDS, TARGET_LINES = 60.0, 100_000


def _previous_month(today: date) -> date:
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


async def add_counters(dsn: str, period: date) -> int:
    """Out-of-bundle charges on every third postpaid mobile line, as a usage import leaves."""
    connection = await asyncpg.connect(dsn)
    try:
        status = await connection.execute(
            "INSERT INTO line_counters (line_id, period, company_id, data_bytes, voice_seconds,"
            " sms_count, roaming_data_bytes, charges, roaming_charges, roaming_events,"
            " updated_at) SELECT id, $1, company_id, 0, 0, 0, 0, (id % 997) / 97.0, 0, 0, now()"
            " FROM lines WHERE kind = 'mobile' AND id % 3 = 0 ON CONFLICT DO NOTHING",
            period,
        )
        return int(status.split()[-1])
    finally:
        await connection.close()


async def _count(dsn: str, table: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def run(lines: int, chunk_size: int) -> list[Figure]:
    url = bench_database(NAME)
    env = bench_env(url)
    os.environ.update(env)  # the run is made in this process
    fresh_database(url, env, lines, usage=False)
    period = _previous_month(datetime.now(UTC).date())
    counters = asyncio.run(add_counters(dsn(url), period))

    with frozen_startup_heap():  # as `linedesk billing run` does (a bulk command)
        started = time.perf_counter()
        first = asyncio.run(run_period(period, url, 30, chunk_size))
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = asyncio.run(run_period(period, url, 30, chunk_size))
        again_seconds = time.perf_counter() - started
    total_lines = asyncio.run(_count(dsn(url), "lines"))
    say(
        f"billing run {period:%Y-%m}: {seconds:.1f} s — {first.issued:,} invoices, "
        f"{first.invoice_lines:,} invoice lines, {first.total_amount:,.2f} EUR; "
        f"{counters:,} lines with extra traffic; run again {again_seconds:.1f} s, "
        f"already invoiced {again.already_invoiced:,}"
    )

    target = (
        TARGET_SECONDS * total_lines / TARGET_LINES
        if total_lines < TARGET_LINES
        else TARGET_SECONDS
    )
    scaled = (
        "" if target == TARGET_SECONDS else f" ({TARGET_SECONDS:.0f} s per {TARGET_LINES:,} lines)"
    )
    return [
        Figure(
            NAME,
            f"billing run, {total_lines:,} lines in {first.billing_accounts:,} "
            f"billing accounts, {first.issued:,} invoices",
            seconds,
            "s",
            target,
            "target",
            f"≤ {target:.0f} s{scaled}",
            seconds <= target,
        ),
        Figure(
            NAME,
            f"the same month again ({again_seconds:.1f} s)",
            again.issued,
            "invoices",
            None,
            "",
            "issues nothing",
            again.issued == 0,
        ),
    ]


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
