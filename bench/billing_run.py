"""Billing run (SPEC §10, issue 6): the demo data set's 100,000 lines (10,000 billing accounts
of 10 lines in the large company, plus the SME), extra traffic on a third of the lines, then
`linedesk billing run` for the previous month, timed; then the same month again, which must
issue nothing. Target: ≤ 60 s.

    python bench/billing_run.py [--lines 100000]
"""

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import linedesk, machine, recreate_postgres_database
from linedesk.cli.billing import run_period

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/linedesk_bench_billing"
TARGET_SECONDS = 60.0


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
            " FROM lines WHERE kind = 'mobile' AND id % 3 = 0 ON CONFLICT DO NOTHING", period)
        return int(status.split()[-1])
    finally:
        await connection.close()


async def _count(dsn: str, table: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=500)
    args = parser.parse_args()
    url = os.environ.get("LINEDESK_BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("this benchmark runs on PostgreSQL (LINEDESK_BENCH_DATABASE_URL)")
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    recreate_postgres_database(url)
    env = os.environ | {"LINEDESK_DATABASE_URL": url, "LINEDESK_LOG_LEVEL": "WARNING",
                        "LINEDESK_DATA_DIR": str(OUT)}
    os.environ.update(env)
    linedesk("migrate", env=env)
    linedesk("demo", "load", "--lines", str(args.lines), "--no-usage", env=env)
    period = _previous_month(datetime.now(UTC).date())
    counters = asyncio.run(add_counters(dsn, period))

    started = time.perf_counter()
    first = asyncio.run(run_period(period, url, 30, args.chunk_size))
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = asyncio.run(run_period(period, url, 30, args.chunk_size))
    again_seconds = time.perf_counter() - started

    print(f"machine: {machine()}; database: {url.split('@')[-1]}")
    print(f"{asyncio.run(_count(dsn, 'lines')):,} lines in {first.billing_accounts:,} billing "
          f"accounts, {counters:,} with extra traffic; period {period:%Y-%m}, "
          f"chunks of {args.chunk_size} accounts")
    print(f"billing run: {seconds:.1f} s — {first.issued:,} invoices, "
          f"{first.invoice_lines:,} invoice lines, {first.total_amount:,.2f} EUR "
          f"({first.first_number} … {first.last_number})")
    print(f"run again: {again_seconds:.1f} s — issued {again.issued:,}, "
          f"already invoiced {again.already_invoiced:,}")
    print(f"target ≤ {TARGET_SECONDS:.0f} s: {'pass' if seconds <= TARGET_SECONDS else 'short'}; "
          f"run again issues nothing: {'pass' if again.issued == 0 else 'FAIL'}")


if __name__ == "__main__":
    main()
