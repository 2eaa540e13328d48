"""A small world for usage: tight allowances, so a few records cross them."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.inventory.models import Line, Offer
from linedesk.inventory.schemas import BillingAccountCreate, CompanyCreate, LineCreate, OfferCreate
from linedesk.inventory.service import RESOURCES, create_one
from linedesk.usage.models import DailyUsage, LineCounter, PrepaidBalance, UsageRecord
from linedesk.usage.rating import OfferTerms
from tests.factories import CTX, account_data, company_data, line_data, offer_data

TIGHT_OFFER = {
    "data_mb": 1,
    "voice_minutes": 2,
    "sms": 3,
    "eu_roaming_data_mb": 1,
    "rate_data_per_mb": "0.0100",
    "rate_voice_per_minute": "0.1900",
    "rate_sms": "0.1900",
}
HEADER = "record_id,line,started_at,type,quantity,destination\n"


class UsageWorld:
    def __init__(self, numbers: dict[str, str], terms: OfferTerms) -> None:
        self.numbers = numbers
        self.terms = terms


async def _add(session: AsyncSession, resource: str, item: Any) -> None:
    await create_one(session, RESOURCES[resource], item, CTX)


@pytest.fixture
async def usage_world(session: AsyncSession) -> UsageWorld:
    """A postpaid, a prepaid, a ceased mobile line on a tight offer, and a fixed line."""
    company = CompanyCreate(**company_data())
    await _add(session, "companies", company)
    account = BillingAccountCreate(**account_data(company.vat_number))
    await _add(session, "billing-accounts", account)
    mobile = OfferCreate(**offer_data(**TIGHT_OFFER))
    fixed = OfferCreate(**offer_data(kind="fixed", data_mb=None, sms=None))
    await _add(session, "offers", mobile)
    await _add(session, "offers", fixed)
    numbers = {}
    for name, extra in (
        ("postpaid", {}),
        ("prepaid", {"payment_mode": "prepaid"}),
        ("ceased", {"status": "ceased"}),
    ):
        line = LineCreate(**line_data(account.code, mobile.code, **extra))
        await _add(session, "lines", line)
        numbers[name] = line.msisdn
    fixed_line = LineCreate(
        **line_data(
            account.code, fixed.code, kind="fixed", msisdn="+390512345678", iccid=None, puk=None
        )
    )
    await _add(session, "lines", fixed_line)
    numbers["fixed"] = fixed_line.msisdn
    offer = await session.scalar(select(Offer).where(Offer.code == mobile.code))
    assert offer is not None
    await session.commit()
    return UsageWorld(numbers, OfferTerms.of(offer))


async def line_id(session: AsyncSession, msisdn: str) -> int:
    found = await session.scalar(select(Line.id).where(Line.msisdn == msisdn))
    assert found is not None
    return found


async def forget_usage(session: AsyncSession) -> None:
    """Between Hypothesis examples: the lines stay, their usage goes."""
    for model in (UsageRecord, LineCounter, DailyUsage, PrepaidBalance):
        await session.execute(delete(model))
    await session.commit()
    session.expunge_all()


async def set_credit(session: AsyncSession, msisdn: str, amount: Decimal) -> None:
    line = await session.scalar(select(Line).where(Line.msisdn == msisdn))
    assert line is not None
    session.add(
        PrepaidBalance(
            line_id=line.id,
            company_id=line.company_id,
            balance=amount,
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    await session.commit()
