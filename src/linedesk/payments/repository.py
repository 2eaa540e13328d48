"""Every query of payments: the invoices being paid (locked, what is still due), the
payments recorded, and the invoice statuses they change. The back office pays any company's
invoices: no scope."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.kit.bulk import chunks, is_postgres
from linedesk.kit.repository import SessionRepository
from linedesk.payments.models import Payment

CHUNK = 5000  # values per query: far below the drivers' bind-parameter limits (32,767)


@dataclass(frozen=True)
class Due:
    invoice_id: int
    company_id: int
    total: Decimal
    paid: Decimal


class PaymentRepository(SessionRepository):
    async def lock_invoices(self, numbers: Collection[str]) -> None:
        """Hold the invoices being paid until the transaction ends, so that what is still
        due is read and spent by one payment at a time. PostgreSQL: SELECT … FOR UPDATE, in
        number order (no deadlock between two files); SQLite: a write, which takes its
        single writer."""
        postgres = is_postgres(self.session)
        for part in chunks(sorted(numbers), CHUNK):
            if postgres:
                await self.session.execute(
                    select(Invoice.id)
                    .where(Invoice.number.in_(part))
                    .order_by(Invoice.number)
                    .with_for_update()
                )
            else:
                await self.session.execute(
                    update(Invoice)
                    .where(Invoice.number.in_(part))
                    .values(status=Invoice.status)
                    .execution_options(synchronize_session=False)
                )

    async def dues(self, numbers: Collection[str]) -> dict[str, Due]:
        """Each invoice by its number: its total and what its payments have paid so far."""
        out: dict[str, Due] = {}
        for part in chunks(sorted(numbers), CHUNK):
            paid = (
                select(Payment.invoice_id, func.sum(Payment.amount).label("paid"))
                .join(Invoice, Invoice.id == Payment.invoice_id)
                .where(Invoice.number.in_(part))
                .group_by(Payment.invoice_id)
                .subquery()
            )
            rows = await self.session.execute(
                select(
                    Invoice.number,
                    Invoice.id,
                    Invoice.company_id,
                    Invoice.total_amount,
                    func.coalesce(paid.c.paid, 0),
                )
                .outerjoin(paid, paid.c.invoice_id == Invoice.id)
                .where(Invoice.number.in_(part))
            )
            out.update(
                (number, Due(invoice_id, company_id, total, Decimal(done)))
                for number, invoice_id, company_id, total, done in rows
            )
        return out

    async def recorded(self, references: Collection[str]) -> dict[str, tuple[str, Decimal]]:
        """The payments recorded with these references: invoice number and amount of each."""
        out: dict[str, tuple[str, Decimal]] = {}
        for part in chunks(sorted(references), CHUNK):
            rows = await self.session.execute(
                select(Payment.reference, Invoice.number, Payment.amount)
                .join(Invoice, Invoice.id == Payment.invoice_id)
                .where(Payment.reference.in_(part))
            )
            out.update((reference, (number, amount)) for reference, number, amount in rows)
        return out

    async def add_payments(self, rows: Sequence[dict[str, Any]]) -> None:
        for part in chunks(rows, 2000):
            await self.session.execute(insert(Payment), list(part))

    async def settle(self, invoice_ids: Collection[int]) -> int:
        """Invoices whose payments cover their total become paid (from issued or overdue)."""
        paid = (
            select(func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.invoice_id == Invoice.id)
            .scalar_subquery()
        )
        settled = 0
        for part in chunks(sorted(invoice_ids), CHUNK):
            result = await self.session.execute(
                update(Invoice)
                .where(
                    Invoice.id.in_(part),
                    Invoice.status != InvoiceStatus.paid,
                    paid >= Invoice.total_amount,
                )
                .values(status=InvoiceStatus.paid)
                .execution_options(synchronize_session=False)
            )
            settled += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return settled

    async def mark_overdue(self, today: date) -> int:
        """Unpaid invoices due before `today` become overdue; how many did."""
        result = await self.session.execute(
            update(Invoice)
            .where(Invoice.status == InvoiceStatus.issued, Invoice.due_date < today)
            .values(status=InvoiceStatus.overdue)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def invoice_status(self, number: str) -> InvoiceStatus | None:
        status: InvoiceStatus | None = await self.session.scalar(
            select(Invoice.status).where(Invoice.number == number)
        )
        return status
