"""The invoices' figures of the manager's home, scoped to the manager's company."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.kit.repository import Scope


@dataclass(frozen=True)
class Dues:
    next_due: date | None  # the earliest due date of an invoice still to pay, not yet late
    next_due_amount: Decimal
    overdue_total: Decimal
    overdue_count: int


class OverviewRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def _company(self, statement):  # type: ignore[no-untyped-def]
        if self.scope.company_id is not None:
            statement = statement.where(Invoice.company_id == self.scope.company_id)
        return statement

    async def dues(self, today: date) -> Dues:
        overdue = self._company(
            select(func.coalesce(func.sum(Invoice.total_amount), 0), func.count()).where(
                Invoice.status == InvoiceStatus.overdue
            )
        )
        total, count = (await self.session.execute(overdue)).one()
        next_due = await self.session.scalar(
            self._company(
                select(func.min(Invoice.due_date)).where(
                    Invoice.status == InvoiceStatus.issued, Invoice.due_date >= today
                )
            )
        )
        amount = Decimal(0)
        if next_due is not None:
            amount = await self.session.scalar(
                self._company(
                    select(func.coalesce(func.sum(Invoice.total_amount), 0)).where(
                        Invoice.status == InvoiceStatus.issued, Invoice.due_date == next_due
                    )
                )
            )
        return Dues(next_due, Decimal(amount), Decimal(total), int(count))
