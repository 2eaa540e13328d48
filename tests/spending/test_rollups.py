"""The spending roll-ups against the invoices they sum: a property test (random lines, kinds,
accounts, activations, cessations, charges, months billed in whole or in part) on whichever
database the tests run on, and the demo data's page and CSV, figure by figure, against the
queries of before the roll-ups (tests.spending.old_logic)."""

import asyncio
import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice, InvoiceLine
from linedesk.billing.service import issue_invoices, refresh_estimate
from linedesk.db import create_engine, create_sessionmaker
from linedesk.demo.service import SME_VAT, load_demo
from linedesk.demo.users import demo_credentials
from linedesk.inventory.models import BillingAccount, Company, Line, LineStatus
from linedesk.kit.money import round_cents
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope
from linedesk.spending.schemas import GroupBy
from linedesk.spending.service import MonthRange, add_months, checked_range, trend
from linedesk.usage.models import SpendingAccount, SpendingEstimate, SpendingLine, SpendingMonth
from tests.billing.conftest import add_account, add_line, add_offer, set_charges
from tests.conftest import NOW
from tests.factories import CTX, make_world
from tests.identity.test_web_sessions import HTML, sign_in_web
from tests.spending import old_logic

MONTHS = [date(2026, m, 1) for m in range(5, 11)]  # May–October 2026, all ended by NOW
CURRENT = date(2026, 11, 1)
ZERO = Decimal("0.00")

line_spec = st.fixed_dictionaries(
    {
        "fixed": st.booleans(),
        "account": st.integers(0, 1),
        "activation": st.integers(-40, 150),  # days after 1 May 2026
        "ceased_from": st.none() | st.integers(0, len(MONTHS) - 1),
        "charges": st.lists(st.decimals(0, 60, places=6, allow_nan=False), min_size=7, max_size=7),
    }
)
case = st.fixed_dictionaries(
    {
        "lines": st.lists(line_spec, min_size=1, max_size=4),
        "first": st.integers(0, 2),
        "count": st.integers(1, 4),
        "partial": st.booleans(),  # bill the first account alone first, as the demo does
        "range": st.tuples(st.integers(0, 6), st.integers(0, 6)),
    }
)


async def _world(session: AsyncSession, spec: dict, n: int) -> tuple[int, list[str], list[str]]:
    world = await make_world(session, name=f"Proprietà {n} S.r.l.", lines=0)
    fixed_offer = await add_offer(
        session, kind="fixed", monthly_fee="30.00", data_mb=None, sms=None
    )
    accounts = [world["account"], await add_account(session, world["vat"])]
    numbers = []
    for line in spec["lines"]:
        activation = MONTHS[0] + timedelta(days=line["activation"])
        numbers.append(
            await add_line(
                session,
                accounts[line["account"]],
                fixed_offer if line["fixed"] else world["offer"],
                kind="fixed" if line["fixed"] else "mobile",
                activation_date=activation.isoformat(),
                **(
                    {"iccid": None, "puk": None, "msisdn": f"+39051{n:03d}{len(numbers):04d}"}
                    if line["fixed"]
                    else {}
                ),
            )
        )
    for number, line in zip(numbers, spec["lines"], strict=True):
        for period, charges in zip([*MONTHS, CURRENT], line["charges"], strict=False):
            if charges:
                await set_charges(session, number, period, str(charges))
    await session.commit()
    return world["company_id"], accounts, numbers


async def _bill(session: AsyncSession, spec: dict, accounts: list[str], numbers: list[str]) -> None:
    ids = {
        code: account_id
        for code, account_id in await session.execute(
            select(BillingAccount.code, BillingAccount.id).where(BillingAccount.code.in_(accounts))
        )
    }
    for n, period in enumerate(MONTHS[spec["first"] : spec["first"] + spec["count"]]):
        ceased = [
            number
            for number, line in zip(numbers, spec["lines"], strict=True)
            if line["ceased_from"] is not None and line["ceased_from"] <= spec["first"] + n
        ]
        if ceased:
            await session.execute(
                update(Line).where(Line.msisdn.in_(ceased)).values(status=LineStatus.ceased)
            )
        if spec["partial"]:
            await issue_invoices(session, NOW, period, billing_account_ids=[ids[accounts[0]]])
        await issue_invoices(session, NOW, period, billing_account_ids=list(ids.values()))
    await refresh_estimate(session, CURRENT, None)
    await session.commit()


async def _check_rows(session: AsyncSession, company_id: int) -> None:
    """Every roll-up row equals the sum of its invoice lines (and the running totals the
    sums so far); a row carried forward adds nothing."""
    billed = defaultdict(lambda: ZERO)
    per_account = defaultdict(lambda: ZERO)
    per_month = defaultdict(lambda: ZERO)
    rows = await session.execute(
        select(InvoiceLine.line_id, Invoice.period, Invoice.billing_account_id, Line.kind)
        .add_columns(func.sum(InvoiceLine.amount))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(Line, Line.id == InvoiceLine.line_id)
        .where(Invoice.company_id == company_id)
        .group_by(InvoiceLine.line_id, Invoice.period, Invoice.billing_account_id, Line.kind)
    )
    for line_id, period, account_id, kind, amount in rows:
        billed[line_id, period] += amount
        per_account[account_id, period, kind] += amount
        per_month[period, kind] += amount
    lines = (
        await session.scalars(
            select(SpendingLine)
            .where(SpendingLine.company_id == company_id)
            .order_by(SpendingLine.line_id, SpendingLine.period)
        )
    ).all()
    running: dict[int, tuple[Decimal, int]] = defaultdict(lambda: (ZERO, 0))
    for row in lines:
        amount = billed.get((row.line_id, row.period), ZERO)
        total, months = running[row.line_id]
        if (row.line_id, row.period) in billed:
            total, months = total + amount, months + 1
        running[row.line_id] = (total, months)
        assert (row.amount, row.running_total, row.running_months) == (amount, total, months)
    assert {(r.line_id, r.period) for r in lines} >= set(billed)
    accounts = await session.execute(
        select(SpendingAccount.billing_account_id, SpendingAccount.period, SpendingAccount.kind)
        .add_columns(SpendingAccount.billed)
        .where(SpendingAccount.company_id == company_id, SpendingAccount.billed.is_not(None))
    )
    assert {(a, p, k): b for a, p, k, b in accounts} == dict(per_account)
    months = await session.execute(
        select(SpendingMonth.period, SpendingMonth.kind, SpendingMonth.billed).where(
            SpendingMonth.company_id == company_id
        )
    )
    assert {(p, k): b for p, k, b in months} == dict(per_month)
    # The month not billed yet: the company's row per kind sums its accounts' estimates.
    estimates: dict[LineKind, Decimal] = defaultdict(lambda: ZERO)
    for kind, fees, charges in await session.execute(
        select(SpendingAccount.kind, SpendingAccount.fees, SpendingAccount.charges).where(
            SpendingAccount.company_id == company_id, SpendingAccount.period == CURRENT
        )
    ):
        estimates[kind] += fees + round_cents(charges)
    company = await session.execute(
        select(SpendingEstimate.kind, SpendingEstimate.fees + SpendingEstimate.charges).where(
            SpendingEstimate.company_id == company_id, SpendingEstimate.period == CURRENT
        )
    )
    assert {k: v for k, v in company if v} == {k: v for k, v in estimates.items() if v}


async def _check_trend(session: AsyncSession, company_id: int, span: MonthRange) -> None:
    """What the trend shows equals the old queries' figures."""
    today = NOW.date()
    scope = Scope.company(company_id)
    billed_last = min(span.last, add_months(CURRENT, -1))
    kinds = await old_logic.by_month_and_kind(session, company_id, span.first, billed_last)
    accounts = await old_logic.by_billing_account(session, company_id, span.first, billed_last)
    lines = await old_logic.by_line(session, company_id, span.first, billed_last)
    guess = await old_logic.estimate(session, company_id, CURRENT) if span.last == CURRENT else {}
    result, _ = await trend(session, scope, span, today)
    for month in result.months:
        period = date.fromisoformat(month.month + "-01")
        for kind, shown in ((LineKind.mobile, month.mobile), (LineKind.fixed, month.fixed)):
            expected = (
                sum((v for (_, k), v in guess.items() if k is kind), ZERO)
                if month.estimate
                else kinds.get((period, kind), ZERO)
            )
            assert shown.amount == expected, (month, kind)
    by_line, count = await trend(session, scope, span, today, GroupBy.line)
    assert {g.key: g.total.amount for g in by_line.groups} == lines
    assert count == len(lines)
    assert [t.total.amount for t in result.top_lines] == sorted(lines.values(), reverse=True)[:10]
    by_account, _ = await trend(session, scope, span, today, GroupBy.billing_account)
    shown = {
        (date.fromisoformat(gm.month + "-01"), g.key): gm.amount.amount
        for g in by_account.groups
        for gm in g.months
        if gm.amount.amount
    }
    expected = {k: v for k, v in accounts.items() if v}
    for (code, _), amount in guess.items():
        if amount:
            expected[CURRENT, code] = expected.get((CURRENT, code), ZERO) + amount
    assert shown == expected


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=case)
def test_rollups_equal_a_recomputation_from_the_invoices(engine, database_url, spec):
    first, last = sorted(spec["range"])
    span = MonthRange([*MONTHS, CURRENT][first], [*MONTHS, CURRENT][last])

    async def example() -> None:
        own = create_engine(database_url)
        try:
            async with create_sessionmaker(own)() as session:
                n = await session.scalar(select(func.count()).select_from(Company))
                company_id, accounts, numbers = await _world(session, spec, int(n or 0))
                await _bill(session, spec, accounts, numbers)
                await _check_rows(session, company_id)
                await _check_trend(session, company_id, span)
        finally:
            await own.dispose()

    asyncio.run(example())


def _csv(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline=""), delimiter=";"))


def _cents(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


@pytest.fixture
async def demo(session: AsyncSession) -> int:
    await load_demo(session, CTX, total_lines=35)
    await session.commit()
    company_id = await session.scalar(select(Company.id).where(Company.vat_number == SME_VAT))
    assert company_id is not None
    return company_id


async def test_the_demo_pages_and_csv_show_the_figures_of_before(client, session, demo):
    """For the demo's SME over its last 12 months and this one: the CSV by month, by billing
    account and by line, and the page's month table, equal the old queries' figures."""
    manager = next(c for c in await demo_credentials(session) if c.username == "admin.bellini")
    login = await client.post(
        "/api/v1/auth/login", json={"username": manager.username, "password": manager.password}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    span = checked_range(None, None, NOW.date())
    billed_last = add_months(CURRENT, -1)
    kinds = await old_logic.by_month_and_kind(session, demo, span.first, billed_last)
    accounts = await old_logic.by_billing_account(session, demo, span.first, billed_last)
    lines = await old_logic.by_line(session, demo, span.first, billed_last)
    guess = await old_logic.estimate(session, demo, CURRENT)
    assert kinds and accounts and lines and guess  # the demo has bills and an estimate

    expected_months = []
    for month in span.months:
        if month == CURRENT:
            mobile, fixed = (
                sum((v for (_, k), v in guess.items() if k is kind), ZERO)
                for kind in (LineKind.mobile, LineKind.fixed)
            )
        else:
            mobile, fixed = (kinds.get((month, k), ZERO) for k in (LineKind.mobile, LineKind.fixed))
        expected_months.append((month, mobile, fixed))
    response = await client.get("/api/v1/spending.csv", headers=auth)
    assert response.status_code == 200, response.text
    assert _csv(response.content)[1:] == [
        [
            f"{m:%Y-%m}",
            _cents(mobile),
            _cents(fixed),
            _cents(mobile + fixed),
            "yes" if m == CURRENT else "no",
        ]
        for m, mobile, fixed in expected_months
    ]

    response = await client.get(
        "/api/v1/spending.csv", params={"group_by": "billing_account"}, headers=auth
    )
    shown = {(row[0], row[1]): row[2] for row in _csv(response.content)[1:] if row[2] != "0,00"}
    expected = {(f"{p:%Y-%m}", code): _cents(v) for (p, code), v in accounts.items() if v}
    for (code, _), amount in guess.items():
        key = (f"{CURRENT:%Y-%m}", code)
        total = Decimal(expected.get(key, "0").replace(",", ".")) + amount
        if total:
            expected[key] = _cents(total)
    assert shown == expected

    response = await client.get("/api/v1/spending.csv", params={"group_by": "line"}, headers=auth)
    assert {row[0]: row[3] for row in _csv(response.content)[1:]} == {
        msisdn: _cents(amount) for msisdn, amount in lines.items()
    }

    await sign_in_web(client, manager.username, manager.password)
    page = await client.get("/spending", headers=HTML)
    assert page.status_code == 200
    for _, mobile, fixed in expected_months:
        for amount in (mobile, fixed, mobile + fixed):
            assert format_currency(amount, "EUR", locale="it_IT") in page.text


async def test_an_import_adds_its_charges_to_the_estimate(session, spending_world):
    """The usage path keeps the current month's estimate: charges imported on a postpaid
    line show in November at once, as the old query read them from the counters."""
    from linedesk.usage.service import import_records
    from tests.usage.test_import import record

    company_id = await session.scalar(
        select(Company.id).where(Company.vat_number == spending_world.vat)
    )
    span = checked_range("2026-11", "2026-11", NOW.date())
    before, _ = await trend(session, Scope.company(company_id), span, NOW.date())
    # 10 voice minutes abroad to a premium number: charged whatever the allowance
    calls = [
        record(n, spending_world.mobile, "voice", 600, "premium", at=NOW - timedelta(days=n))
        for n in range(1, 4)
    ]
    await import_records(session, NOW, calls)
    await session.commit()
    after, _ = await trend(session, Scope.company(company_id), span, NOW.date())
    expected = await old_logic.estimate(session, company_id, CURRENT)
    mobile = sum((v for (_, k), v in expected.items() if k is LineKind.mobile), ZERO)
    assert after.months[0].mobile.amount == mobile > before.months[0].mobile.amount
