"""Payments (SPEC R-M2): record them one at a time or from a bank/SEPA file, all or
nothing; an invoice paid in full becomes `paid`; a daily job marks unpaid invoices past
their due date `overdue`. Flushes only: the request or the command commits."""

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.errors import Conflict, ValidationFailed
from linedesk.inventory.service import ImportRejected, chunks
from linedesk.kit.clock import ROME
from linedesk.kit.csvfile import RowError, validate_file
from linedesk.payments.models import Payment
from linedesk.payments.schemas import PaymentIn

REFERENCE_TAKEN = "this reference was recorded for another payment"
CHUNK = 5000  # values per query: far below the drivers' bind-parameter limits (32,767)


@dataclass(frozen=True)
class _Due:
    invoice_id: int
    company_id: int
    total: Decimal
    paid: Decimal


@dataclass
class Recorded:
    """What a batch did: new payments, references seen before, invoices now paid."""

    new: list[PaymentIn] = field(default_factory=list)
    already: list[PaymentIn] = field(default_factory=list)
    invoices_paid: int = 0


async def _lock_invoices(session: AsyncSession, numbers: Collection[str]) -> None:
    """Hold the invoices being paid until the transaction ends, so that what is still due is
    read and spent by one payment at a time. PostgreSQL: SELECT … FOR UPDATE, in number
    order (no deadlock between two files); SQLite: a write, which takes its single writer."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for part in chunks(sorted(numbers), CHUNK):
        if postgres:
            await session.execute(
                select(Invoice.id)
                .where(Invoice.number.in_(part))
                .order_by(Invoice.number)
                .with_for_update()
            )
        else:
            await session.execute(
                update(Invoice)
                .where(Invoice.number.in_(part))
                .values(status=Invoice.status)
                .execution_options(synchronize_session=False)
            )


async def _dues(session: AsyncSession, numbers: Collection[str]) -> dict[str, _Due]:
    out: dict[str, _Due] = {}
    for part in chunks(sorted(numbers), CHUNK):
        paid = (
            select(Payment.invoice_id, func.sum(Payment.amount).label("paid"))
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .where(Invoice.number.in_(part))
            .group_by(Payment.invoice_id)
            .subquery()
        )
        rows = await session.execute(
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
            (number, _Due(invoice_id, company_id, total, Decimal(done)))
            for number, invoice_id, company_id, total, done in rows
        )
    return out


async def _recorded(
    session: AsyncSession, references: Collection[str]
) -> dict[str, tuple[str, Decimal]]:
    out: dict[str, tuple[str, Decimal]] = {}
    for part in chunks(sorted(references), CHUNK):
        rows = await session.execute(
            select(Payment.reference, Invoice.number, Payment.amount)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .where(Payment.reference.in_(part))
        )
        out.update((reference, (number, amount)) for reference, number, amount in rows)
    return out


def _duplicate_references(items: Sequence[tuple[int, PaymentIn]]) -> list[RowError]:
    counts = Counter(item.reference for _, item in items)
    return [
        RowError(row, "this reference appears more than once in the file", "reference")
        for row, item in items
        if counts[item.reference] > 1
    ]


async def _check(
    session: AsyncSession, items: Sequence[tuple[int, PaymentIn]]
) -> tuple[Recorded, dict[str, _Due], list[RowError]]:
    """Sort the rows into new and already recorded; every bad row is an error."""
    errors = _duplicate_references(items)
    dues = await _dues(session, {item.invoice_number for _, item in items})
    seen = await _recorded(session, {item.reference for _, item in items})
    pending: dict[str, Decimal] = defaultdict(Decimal)
    result = Recorded()
    for row, item in items:
        if item.reference in seen:
            if seen[item.reference] == (item.invoice_number, item.amount):
                result.already.append(item)
            else:
                errors.append(RowError(row, REFERENCE_TAKEN, "reference"))
            continue
        due = dues.get(item.invoice_number)
        if due is None:
            errors.append(RowError(row, "no such invoice", "invoice_number"))
            continue
        left = due.total - due.paid - pending[item.invoice_number]
        if item.amount > left:
            errors.append(RowError(row, f"more than the {left:.2f} EUR still due", "amount"))
            continue
        pending[item.invoice_number] += item.amount
        result.new.append(item)
    return result, dues, errors


async def _settle(session: AsyncSession, invoice_ids: Collection[int]) -> int:
    """Invoices whose payments cover their total become paid (from issued or overdue)."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.invoice_id == Invoice.id)
        .scalar_subquery()
    )
    settled = 0
    for part in chunks(sorted(invoice_ids), CHUNK):
        result = await session.execute(
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


async def record_payments(
    session: AsyncSession, items: Sequence[tuple[int, PaymentIn]], now: datetime
) -> Recorded:
    """Record every payment or none: any bad row rejects the batch, naming each bad row.
    A reference recorded before with the same invoice and amount is skipped. The invoices
    are locked first: payments arriving at once never pay more than is due."""
    await _lock_invoices(session, {item.invoice_number for _, item in items})
    result, dues, errors = await _check(session, items)
    if errors:
        raise ImportRejected(errors)
    rows = [
        {
            "company_id": dues[item.invoice_number].company_id,
            "invoice_id": dues[item.invoice_number].invoice_id,
            "reference": item.reference,
            "amount": item.amount,
            "paid_at": item.paid_at,
            "created_at": now,
        }
        for item in result.new
    ]
    try:
        for part in chunks(rows, 2000):
            await session.execute(insert(Payment), list(part))
    except IntegrityError as exc:  # a concurrent writer recorded the same reference
        raise Conflict("a payment was recorded meanwhile; try again") from exc
    touched = {dues[item.invoice_number].invoice_id for item in result.new}
    result.invoices_paid = await _settle(session, touched)
    await session.flush()
    return result


async def record_payment(session: AsyncSession, item: PaymentIn, now: datetime) -> bool:
    """Record one payment; False when its reference had been recorded already."""
    try:
        result = await record_payments(session, [(1, item)], now)
    except ImportRejected as exc:
        details = [{k: v for k, v in d.items() if k != "row"} for d in exc.details or []]
        message = "; ".join(f"{d.get('field', '')}: {d['reason']}" for d in details)
        if any(d["reason"] == REFERENCE_TAKEN for d in details):
            raise Conflict(message, details=details) from exc
        raise ValidationFailed(message, details=details) from exc
    return not result.already


async def import_payments_csv(session: AsyncSession, text: str, now: datetime) -> Recorded:
    """A bank file: `reference;invoice_number;amount;paid_at` (`;` or `,`), all or nothing."""
    items, errors = validate_file(PaymentIn, text)
    if errors:
        checked = (await _check(session, items))[2] if items else []
        raise ImportRejected(errors + checked)
    return await record_payments(session, items, now)


async def update_statuses(session: AsyncSession, now: datetime) -> int:
    """Unpaid invoices past their due date (Italian calendar) become overdue. Safe to run
    twice: the second run finds nothing left to change."""
    today = now.astimezone(ROME).date()
    result = await session.execute(
        update(Invoice)
        .where(Invoice.status == InvoiceStatus.issued, Invoice.due_date < today)
        .values(status=InvoiceStatus.overdue)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
