"""The company's estimate of the month not billed yet (SpendingEstimate, the row per kind the
trend reads) against its accounts' rows (SpendingAccount) and the inventory's figures: equal
after the daily refresh and after every usage import, whose charges each account rounds to
the cent on its own."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.service import refresh_estimate
from linedesk.inventory.models import Company
from linedesk.kit.money import round_cents
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope
from linedesk.spending.service import checked_range, trend
from linedesk.usage.models import SpendingAccount, SpendingEstimate
from linedesk.usage.service import import_records
from tests.billing.conftest import add_account, add_line, add_offer
from tests.conftest import NOW
from tests.spending import old_logic
from tests.spending.conftest import NOVEMBER
from tests.usage.test_import import record

ZERO = Decimal("0.00")
# Seconds of premium calls, batch by batch: charges with fractions of a cent, which each
# account rounds on its own (so the company's figure is not its charges' sum rounded).
BATCHES = [(7, 13), (29,), (31, 47, 3), (59,), (11, 17), (1, 2, 5), (43,), (23, 37)]


async def _company(session: AsyncSession, company_id: int) -> dict[LineKind, Decimal]:
    rows = await session.execute(
        select(SpendingEstimate.kind, SpendingEstimate.fees, SpendingEstimate.charges).where(
            SpendingEstimate.company_id == company_id, SpendingEstimate.period == NOVEMBER
        )
    )
    return {kind: fees + charges for kind, fees, charges in rows if fees + charges}


async def _accounts(session: AsyncSession, company_id: int) -> dict[LineKind, Decimal]:
    out: dict[LineKind, Decimal] = defaultdict(lambda: ZERO)
    rows = await session.execute(
        select(SpendingAccount.kind, SpendingAccount.fees, SpendingAccount.charges).where(
            SpendingAccount.company_id == company_id, SpendingAccount.period == NOVEMBER
        )
    )
    for kind, fees, charges in rows:
        out[kind] += fees + round_cents(charges)
    return {kind: amount for kind, amount in out.items() if amount}


async def _inventory(session: AsyncSession, company_id: int) -> dict[LineKind, Decimal]:
    out: dict[LineKind, Decimal] = defaultdict(lambda: ZERO)
    for (_, kind), amount in (await old_logic.estimate(session, company_id, NOVEMBER)).items():
        out[kind] += amount
    return {kind: amount for kind, amount in out.items() if amount}


async def _check(session: AsyncSession, company_id: int) -> dict[LineKind, Decimal]:
    company = await _company(session, company_id)
    assert company == await _accounts(session, company_id)
    assert company == await _inventory(session, company_id)
    span = checked_range("2026-11", "2026-11", NOW.date())
    shown, _ = await trend(session, Scope.company(company_id), span, NOW.date())
    assert shown.months[0].mobile.amount == company.get(LineKind.mobile, ZERO)
    assert shown.months[0].fixed.amount == company.get(LineKind.fixed, ZERO)
    assert shown.estimated.amount == sum(company.values(), ZERO)
    return company


async def _company_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(Company.id).order_by(Company.id)))


async def test_the_refresh_writes_each_company_s_estimate_as_its_accounts_sum(
    session, spending_world
):
    companies = await _company_ids(session)
    assert len(companies) == 2
    for company_id in companies:
        assert await _check(session, company_id)  # both have fees and charges in November


async def test_every_import_moves_the_company_s_estimate_as_its_accounts(session, spending_world):
    """Premium calls on mobile lines of two accounts, batch after batch; then the refresh,
    which writes the same figures again."""
    company_id = await session.scalar(
        select(Company.id).where(Company.vat_number == spending_world.vat)
    )
    assert company_id is not None
    other_account = await add_account(session, spending_world.vat)
    fixed_offer = await add_offer(
        session, kind="fixed", monthly_fee="30.00", data_mb=None, sms=None
    )
    third = await add_line(
        session,
        other_account,
        await add_offer(session, kind="mobile", monthly_fee="9.90"),
        activation_date="2024-01-01",
    )
    await add_line(
        session,
        other_account,
        fixed_offer,
        msisdn="+390515550177",
        kind="fixed",
        iccid=None,
        puk=None,
        activation_date="2024-01-01",
    )
    await session.commit()
    await refresh_estimate(session, NOVEMBER, company_id)
    await session.commit()
    before = await _check(session, company_id)
    lines = [spending_world.mobile, spending_world.mobile_2, third]
    n = 0
    for seconds in BATCHES:
        calls = []
        for duration in seconds:
            n += 1
            at = NOW - timedelta(hours=n)
            calls.append(record(n, lines[n % 3], "voice", duration, "premium", at=at))
        await import_records(session, NOW, calls)
        await session.commit()
        await _check(session, company_id)
    after = await _check(session, company_id)
    assert after[LineKind.mobile] > before[LineKind.mobile]
    await refresh_estimate(session, NOVEMBER, None)
    await session.commit()
    assert await _check(session, company_id) == after
