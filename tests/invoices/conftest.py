"""An invoiced company: two billing accounts billed for September and October 2026, its
user admin and an employee; and another company with invoices of its own."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice
from linedesk.billing.service import issue_invoices
from linedesk.inventory.models import BillingAccount
from linedesk.notifications.service import notify_invoices_issued
from tests.billing.conftest import add_account, add_line, set_charges
from tests.conftest import NOW
from tests.factories import make_user, make_world

SEPTEMBER, OCTOBER = date(2026, 9, 1), date(2026, 10, 1)
ADMIN, OUTSIDER = "laura", "bruno"


@dataclass
class InvoiceWorld:
    company: dict[str, Any]
    other: dict[str, Any]
    second_account: str
    second_number: str
    employee: str


@pytest.fixture
async def invoice_world(session: AsyncSession) -> InvoiceWorld:
    world = await make_world(session, lines=3)
    second = await add_account(
        session,
        world["vat"],
        payment_method="sepa_direct_debit",
        iban="IT60X0542811101000000123456",
    )
    second_number = await add_line(session, second, world["offer"])
    other = await make_world(session, name="Bianchi Trasporti S.p.A.", lines=1)
    await set_charges(session, world["numbers"][0], OCTOBER, "7.456")
    await session.commit()
    for period in (SEPTEMBER, OCTOBER):
        await issue_invoices(session, NOW, period, on_issued=notify_invoices_issued)
    await session.commit()
    await make_user(session, world, profile="user_admin", username=ADMIN, email="laura@example.it")
    await make_user(session, world)  # an employee: their line's number is their username
    await make_user(
        session, other, profile="user_admin", username=OUTSIDER, email="bruno@example.it"
    )
    return InvoiceWorld(world, other, second, second_number, world["numbers"][0])


async def invoice_of(session: AsyncSession, account_code: str, period: date) -> Invoice:
    invoice = await session.scalar(
        select(Invoice)
        .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
        .where(BillingAccount.code == account_code, Invoice.period == period)
        .execution_options(populate_existing=True)
    )
    assert invoice is not None
    return invoice
