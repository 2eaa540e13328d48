"""A company with two billed months (September and October 2026) and November's counters,
next to another company whose figures must never show. The clock says 20 November 2026."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.service import issue_invoices, refresh_estimate
from tests.billing.conftest import add_account, add_line, add_offer, set_charges
from tests.conftest import NOW
from tests.factories import make_user, make_world

SEPTEMBER, OCTOBER, NOVEMBER = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@dataclass
class SpendingWorld:
    vat: str
    mobile: str  # 19.99 a month + 12.91 concession tax; extra traffic in Sep and Oct
    mobile_2: str  # 19.99 + 12.91; 7.25 of extra traffic so far in November
    fixed: str  # 30.00 a month, on a second billing account
    account: str
    fixed_account: str
    other_number: str


@pytest.fixture
async def spending_world(session: AsyncSession) -> SpendingWorld:
    world = await make_world(session, lines=2)
    mobile, mobile_2 = world["numbers"]
    fixed_offer = await add_offer(
        session, kind="fixed", monthly_fee="30.00", data_mb=None, sms=None
    )
    fixed_account = await add_account(session, world["vat"])
    fixed = await add_line(
        session,
        fixed_account,
        fixed_offer,
        msisdn="+390515550199",
        kind="fixed",
        iccid=None,
        puk=None,
        activation_date="2024-01-01",
    )
    # Only in November's estimate: from the 16th, 15 of 30 days (19.99 → 10.00) + tax.
    await add_line(session, world["account"], world["offer"], activation_date="2026-11-16")
    # Never in an invoice nor in the estimate: a prepaid line and a ceased one.
    prepaid = await add_line(session, world["account"], world["offer"], payment_mode="prepaid")
    await add_line(
        session, world["account"], world["offer"], status="ceased", activation_date="2024-01-01"
    )
    other = await make_world(session, name="Altra Azienda S.p.A.", lines=1)
    await set_charges(session, mobile, SEPTEMBER, "5.00")
    await set_charges(session, mobile, OCTOBER, "3.456789")
    await set_charges(session, mobile_2, NOVEMBER, "7.25")
    await set_charges(session, prepaid, NOVEMBER, "9.99")
    await set_charges(session, other["numbers"][0], OCTOBER, "500.00")
    await set_charges(session, other["numbers"][0], NOVEMBER, "400.00")
    await session.commit()
    for period in (SEPTEMBER, OCTOBER):
        await issue_invoices(session, NOW, period)
    # The counters were set here, not by an import: the estimate is refreshed as the daily
    # jobs do.
    await refresh_estimate(session, NOVEMBER, None)
    await session.commit()
    await make_user(session, world, profile="user_admin", username="laura")
    await make_user(session, world, profile="employee")
    await make_user(session, other, profile="user_admin", username="altro")
    return SpendingWorld(
        world["vat"], mobile, mobile_2, fixed, world["account"], fixed_account, other["numbers"][0]
    )
