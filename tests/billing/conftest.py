"""A billing world: a company whose lines cover every case of a billed month."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice, InvoiceLine
from linedesk.inventory.models import BillingAccount, Line
from linedesk.inventory.schemas import BillingAccountCreate, LineCreate, OfferCreate
from linedesk.inventory.service import RESOURCES, create_one
from linedesk.usage.models import LineCounter
from tests.conftest import NOW
from tests.factories import CTX, account_data, line_data, make_world, offer_data

OCTOBER = date(2026, 10, 1)


@dataclass
class BillingWorld:
    company_id: int
    vat: str
    account_id: int
    numbers: dict[str, str]


async def add_line(session: AsyncSession, account: str, offer: str, **overrides: Any) -> str:
    line = LineCreate(**line_data(account, offer, **overrides))
    await create_one(session, RESOURCES["lines"], line, CTX)
    return line.msisdn


async def add_offer(session: AsyncSession, **overrides: Any) -> str:
    offer = OfferCreate(**offer_data(**overrides))
    await create_one(session, RESOURCES["offers"], offer, CTX)
    return offer.code


async def add_account(session: AsyncSession, vat: str, **overrides: Any) -> str:
    account = BillingAccountCreate(**account_data(vat, **overrides))
    await create_one(session, RESOURCES["billing-accounts"], account, CTX)
    return account.code


async def set_charges(session: AsyncSession, msisdn: str, period: date, charges: str) -> None:
    line = await session.scalar(select(Line).where(Line.msisdn == msisdn))
    assert line is not None
    session.add(
        LineCounter(
            line_id=line.id,
            period=period,
            company_id=line.company_id,
            charges=Decimal(charges),
            updated_at=NOW,
        )
    )


@pytest.fixture
async def billing_world(session: AsyncSession) -> BillingWorld:
    """Two full-month mobile lines (19.99, one with 3.456789 of extra traffic), a fixed line
    from 15 October (30.00), a prepaid line, a line activated in November, a ceased line."""
    world = await make_world(session, lines=2)
    first, second = world["numbers"]
    fixed = await add_offer(session, kind="fixed", monthly_fee="30.00", data_mb=None, sms=None)
    numbers = {
        "mobile": first,
        "mobile_2": second,
        "fixed": await add_line(
            session,
            world["account"],
            fixed,
            msisdn="+390515550101",
            kind="fixed",
            iccid=None,
            puk=None,
            activation_date="2026-10-15",
        ),
        "prepaid": await add_line(
            session, world["account"], world["offer"], payment_mode="prepaid"
        ),
        "november": await add_line(
            session, world["account"], world["offer"], activation_date="2026-11-05"
        ),
        "ceased": await add_line(session, world["account"], world["offer"], status="ceased"),
    }
    await set_charges(session, first, OCTOBER, "3.456789")
    await set_charges(session, first, date(2026, 9, 1), "50.00")  # another month: not billed
    await session.commit()
    account_id = await session.scalar(
        select(BillingAccount.id).where(BillingAccount.code == world["account"])
    )
    assert account_id is not None
    return BillingWorld(world["company_id"], world["vat"], account_id, numbers)


async def invoices(session: AsyncSession) -> list[Invoice]:
    return list(
        await session.scalars(
            select(Invoice).order_by(Invoice.sequence).execution_options(populate_existing=True)
        )
    )


async def invoice_lines(session: AsyncSession, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position)
        )
    )
