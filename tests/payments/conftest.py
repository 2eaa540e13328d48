"""A company with one invoice (October 2026, issued on 20 November, due 20 December)."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.service import issue_invoices
from linedesk.notifications.service import notify_invoices_issued
from tests.billing.conftest import OCTOBER, BillingWorld, billing_world, invoices
from tests.conftest import NOW

__all__ = ["billing_world"]


@dataclass
class Invoiced:
    world: BillingWorld
    number: str
    total: Decimal


@pytest.fixture
async def invoiced(session: AsyncSession, billing_world: BillingWorld) -> Invoiced:
    await issue_invoices(session, NOW, OCTOBER, on_issued=notify_invoices_issued)
    await session.commit()
    (invoice,) = await invoices(session)
    return Invoiced(billing_world, invoice.number, invoice.total_amount)
