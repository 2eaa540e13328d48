"""Spending trend (SPEC §10, issues 6 and 15): one company with 10,000 lines (in 1,000
billing accounts, 80 % mobile) and 24 billed months of invoices (~510,000 invoice lines, made
in bulk with SQL: benchmark data only) plus the current month's counters; then the server
time of GET /api/v1/spending over 24 billed months + the estimate: the service in-process
over 50 calls (p50/p99), and HTTP figures against a real server. Target: ≤ 50 ms. The full
scale then does it all again with 50,000 lines (~2,560,000 invoice lines, a few minutes to
load), against its own target: ≤ 100 ms.

The trend reads only the spending roll-ups (issue 15): after the bulk load they are filled
as the migration fills them from existing invoices (its backfill), and the current month's
estimate as the daily jobs refresh it. Also timed: that backfill and the refresh.

    python bench/spending.py [--scale small|full] [--lines N] [--months N] [--calls N]
                             [--large-lines N] [--large-calls N]   (--large-lines 0: skip it)
"""

import asyncio
import importlib
import sys
import time
from datetime import date
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    Latency,
    Params,
    bench_database,
    bench_env,
    cli,
    dsn,
    free_port,
    linedesk,
    recreate_postgres_database,
    say,
    server,
)
from linedesk.billing.service import refresh_estimate
from linedesk.db import create_engine, create_sessionmaker
from linedesk.identity.passwords import PasswordHasher
from linedesk.kit.clock import Clock
from linedesk.kit.heap import frozen_startup_heap
from linedesk.kit.repository import Scope
from linedesk.spending.service import add_months, checked_range, month_key, trend
from report import Figure

NAME = "spending"
SCALES: dict[str, Params] = {
    "small": {"lines": 2_000, "months": 24, "calls": 30, "large_lines": 0, "large_calls": 0},
    "full": {
        "lines": 10_000,
        "months": 24,
        "calls": 50,
        "large_lines": 50_000,
        "large_calls": 30,
    },
}
# The SPEC's targets (server time, p99) by how many lines the company has, up to.
TARGETS_MS = {10_000: 50.0, 50_000: 100.0}


def target_ms(lines: int) -> float:
    """The target of the smallest size that holds `lines` (past the largest, its)."""
    return next((ms for size, ms in sorted(TARGETS_MS.items()) if lines <= size), 100.0)


MANAGER, PASSWORD = "bench.spending", "Prova-Linedesk-42!"
SETUP = [
    """INSERT INTO companies (name, vat_number, fiscal_code, segment, address_street,
       address_postal_code, address_city, address_province, contact_email, sdi_code, created_at)
       VALUES ('Bench Spesa S.p.A.', '09999990019', '09999990019', 'large', 'Via Roma 1',
       '40121', 'Bologna', 'BO', 'bench@example.it', 'M5UXCR1', now())""",
    """INSERT INTO offers (code, name, kind, monthly_fee, rate_data_per_mb,
       rate_voice_per_minute, rate_sms, created_at) VALUES
       ('BENCH-MOB', 'Bench Mobile', 'mobile', 19.99, 0.01, 0.19, 0.19, now()),
       ('BENCH-FIX', 'Bench Fisso', 'fixed', 30.00, 0, 0, 0, now())""",
    """INSERT INTO billing_accounts (company_id, code, payment_method, address_street,
       address_postal_code, address_city, address_province, invoice_email, created_at)
       SELECT c.id, 'BENCH-BA-' || n, 'bank_transfer', 'Via Roma 1', '40121', 'Bologna', 'BO',
              'fatture@example.it', now()
       FROM companies c, generate_series(1, $1::int / 10) n""",
    """INSERT INTO lines (company_id, billing_account_id, offer_id, msisdn, kind, status,
       payment_mode, activation_date, holder_name, created_at)
       SELECT ba.company_id, ba.id,
              (SELECT id FROM offers WHERE code = CASE WHEN n % 5 = 0 THEN 'BENCH-FIX'
                                                      ELSE 'BENCH-MOB' END),
              '+39347' || lpad((ba.id * 10 + n)::text, 7, '0'),
              CASE WHEN n % 5 = 0 THEN 'fixed' ELSE 'mobile' END, 'active', 'postpaid',
              DATE '2020-01-01', 'Dipendente ' || n, now()
       FROM billing_accounts ba, generate_series(0, 9) n""",
    """INSERT INTO invoices (company_id, billing_account_id, number, year, sequence, period,
       issue_date, due_date, status, taxable_amount, vat_amount, exempt_amount, total_amount,
       currency, created_at)
       SELECT ba.company_id, ba.id, 'B' || m || '/' || ba.id, 2000 + m, ba.id,
              (date_trunc('month', $1::date) - make_interval(months => m))::date,
              $1::date, $1::date, 'paid', 0, 0, 0, 0, 'EUR', now()
       FROM billing_accounts ba, generate_series(1, $2::int) m""",
    # Per line and month: the fee, the concession tax (mobile), extra traffic on a third.
    """INSERT INTO invoice_lines (company_id, invoice_id, position, line_id, msisdn,
       description, kind, start_date, end_date, quantity, unit_price, amount, vat_rate,
       vat_nature)
       SELECT i.company_id, i.id, c.k, l.id, l.msisdn, 'Bench', c.kind, i.period,
              (i.period + interval '1 month' - interval '1 day')::date, 1,
              c.amount, c.amount, c.rate, c.nature
       FROM invoices i JOIN lines l ON l.billing_account_id = i.billing_account_id
       CROSS JOIN LATERAL (VALUES
           (1, 'fee', CASE WHEN l.kind = 'fixed' THEN 30.00 ELSE 19.99 END, 22.00, NULL),
           (2, 'concession_tax', CASE WHEN l.kind = 'mobile' THEN 12.91 END, 0.00, 'N1'),
           (3, 'out_of_bundle', CASE WHEN l.id % 3 = 0 THEN ((l.id + i.id) % 997) / 97.0
                                     END, 22.00, NULL)
       ) AS c(k, kind, amount, rate, nature)
       WHERE c.amount IS NOT NULL""",
    """UPDATE invoices i SET taxable_amount = s.taxable, exempt_amount = s.exempt,
       total_amount = s.taxable * 1.22 + s.exempt, vat_amount = s.taxable * 0.22
       FROM (SELECT invoice_id, sum(amount) FILTER (WHERE vat_nature IS NULL) taxable,
                    coalesce(sum(amount) FILTER (WHERE vat_nature IS NOT NULL), 0) exempt
             FROM invoice_lines GROUP BY invoice_id) s WHERE s.invoice_id = i.id""",
    """INSERT INTO line_counters (line_id, period, company_id, data_bytes, voice_seconds,
       sms_count, roaming_data_bytes, charges, roaming_charges, roaming_events, updated_at)
       SELECT id, date_trunc('month', $1::date)::date, company_id, 0, 0, 0, 0,
              (id % 997) / 100.0, 0, 0, now() FROM lines""",
]


async def load(dsn: str, lines: int, months: int, today: date) -> None:
    hasher = PasswordHasher(1)
    try:
        password_hash = await hasher.hash(PASSWORD, username=MANAGER)
    finally:
        hasher.close()
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for n, statement in enumerate(SETUP):
            args = {2: (lines,), 4: (today, months), 7: (today,)}.get(n, ())
            await connection.execute(statement, *args)
        await connection.execute(
            "INSERT INTO users (company_id, profile, username, password_hash,"
            " must_change_password, language, totp_enabled, created_at)"
            " SELECT id, 'user_admin', $1, $2, false, 'it', false, now() FROM companies",
            MANAGER,
            password_hash,
        )
        await connection.execute("VACUUM ANALYZE")
        counts = [
            await connection.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("lines", "invoices", "invoice_lines")
        ]
        say(
            f"data: {counts[0]:,} lines, {counts[1]:,} invoices, {counts[2]:,} invoice lines "
            f"in {time.perf_counter() - started:.0f} s"
        )
    finally:
        await connection.close()


async def in_process(url: str, calls: int, today: date, first: str) -> Latency:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            company_id = int(
                await session.scalar(
                    text("SELECT company_id FROM users WHERE username = :u"), {"u": MANAGER}
                )
            )
        span = checked_range(first, None, today)
        seconds = []
        with frozen_startup_heap():  # as the API process does once started
            for n in range(calls + 5):
                async with sessions() as session:
                    started = time.perf_counter()
                    result, _ = await trend(session, Scope.company(company_id), span, today)
                    if n >= 5:  # the first calls warm the pool and the plans
                        seconds.append(time.perf_counter() - started)
        assert len(result.months) == len(span.months) and result.top_lines
        return Latency.of(seconds)
    finally:
        await engine.dispose()


async def over_http(base: str, calls: int, first: str) -> Latency:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": MANAGER, "password": PASSWORD}
        )
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        seconds = []
        for n in range(calls + 3):
            started = time.perf_counter()
            response = await client.get("/api/v1/spending", params={"from": first}, headers=auth)
            if n >= 3:
                seconds.append(time.perf_counter() - started)
            response.raise_for_status()
        return Latency.of(seconds)


async def roll_up(url: str, today: date) -> None:
    """The roll-ups of the invoices loaded in bulk (the migration's backfill, which is what
    the billing run would have written) and this month's estimate (the daily jobs')."""
    backfill = importlib.import_module("linedesk.migrations.versions.0009_spending_rollups")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for table in ("spending_months", "spending_accounts", "spending_lines"):
                await connection.execute(text(f"DELETE FROM {table}"))
            started = time.perf_counter()
            for statement in (
                backfill.BACKFILL_LINES,
                backfill.BACKFILL_ACCOUNTS,
                backfill.BACKFILL_MONTHS,
                backfill.BACKFILL_CARRIED,
            ):
                await connection.execute(text(statement))
            say(f"roll-ups from the invoices in {time.perf_counter() - started:.1f} s")
        async with create_sessionmaker(engine)() as session:
            started = time.perf_counter()
            await refresh_estimate(session, today.replace(day=1), None)
            await session.commit()
            say(f"the estimate refreshed in {time.perf_counter() - started:.1f} s")
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


def figures(label: str, service: Latency, http: Latency, lines: int, months: int) -> list[Figure]:
    what = f"GET /spending, {lines:,} lines × {months} months, {label}"
    target = target_ms(lines)
    return [
        Figure(
            NAME,
            f"{what}: server time (the service), p99, p50 {service.p50_ms:.1f} ms",
            service.p99_ms,
            "ms",
            target,
            "target",
            f"≤ {target:.0f} ms",
            service.p99_ms <= target,
        ),
        Figure(
            NAME,
            f"{what}: over HTTP, p99, p50 {http.p50_ms:.1f} ms",
            http.p99_ms,
            "ms",
            target,
            "target",
            f"≤ {target:.0f} ms",
            http.p99_ms <= target,
        ),
    ]


def measure(lines: int, months: int, calls: int) -> list[Figure]:
    """A database of its own with `lines` lines and `months` billed months, and the trend's
    figures on it."""
    url = bench_database(NAME)
    env = bench_env(url)
    recreate_postgres_database(url)
    linedesk("migrate", env=env)
    today = Clock().today()
    asyncio.run(load(dsn(url), lines, months, today))
    first = month_key(add_months(today.replace(day=1), -months))
    asyncio.run(roll_up(url, today))
    service = asyncio.run(in_process(url, calls, today, first))
    with server(env, free_port()) as base:
        http = asyncio.run(over_http(base, calls, first))
    return figures("from the roll-ups", service, http, lines, months)


def run(lines: int, months: int, calls: int, large_lines: int, large_calls: int) -> list[Figure]:
    out = measure(lines, months, calls)
    if large_lines:
        out += measure(large_lines, months, large_calls)
    return out


if __name__ == "__main__":
    cli(__doc__, run, SCALES)
