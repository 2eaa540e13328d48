"""Payments (SPEC R-M2): record them one at a time or from a bank/SEPA file, all or
nothing; an invoice paid in full becomes `paid`; a daily job marks unpaid invoices past
their due date `overdue`. Flushes only: the request or the command commits."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import Conflict, ValidationFailed
from linedesk.inventory.service import ImportRejected
from linedesk.kit.clock import ROME
from linedesk.kit.csvfile import RowError, validate_file
from linedesk.payments.repository import Due, PaymentRepository
from linedesk.payments.schemas import PaymentIn

REFERENCE_TAKEN = "this reference was recorded for another payment"


@dataclass
class Recorded:
    """What a batch did: new payments, references seen before, invoices now paid."""

    new: list[PaymentIn] = field(default_factory=list)
    already: list[PaymentIn] = field(default_factory=list)
    invoices_paid: int = 0


def _duplicate_references(items: Sequence[tuple[int, PaymentIn]]) -> list[RowError]:
    counts = Counter(item.reference for _, item in items)
    return [
        RowError(row, "this reference appears more than once in the file", "reference")
        for row, item in items
        if counts[item.reference] > 1
    ]


async def _check(
    session: AsyncSession, items: Sequence[tuple[int, PaymentIn]]
) -> tuple[Recorded, dict[str, Due], list[RowError]]:
    """Sort the rows into new and already recorded; every bad row is an error."""
    errors = _duplicate_references(items)
    repo = PaymentRepository(session)
    dues = await repo.dues({item.invoice_number for _, item in items})
    seen = await repo.recorded({item.reference for _, item in items})
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


async def record_payments(
    session: AsyncSession, items: Sequence[tuple[int, PaymentIn]], now: datetime
) -> Recorded:
    """Record every payment or none: any bad row rejects the batch, naming each bad row.
    A reference recorded before with the same invoice and amount is skipped. The invoices
    are locked first: payments arriving at once never pay more than is due."""
    repo = PaymentRepository(session)
    await repo.lock_invoices({item.invoice_number for _, item in items})
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
        await repo.add_payments(rows)
    except IntegrityError as exc:  # a concurrent writer recorded the same reference
        raise Conflict("a payment was recorded meanwhile; try again") from exc
    touched = {dues[item.invoice_number].invoice_id for item in result.new}
    result.invoices_paid = await repo.settle(touched)
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
    overdue = await PaymentRepository(session).mark_overdue(now.astimezone(ROME).date())
    await session.flush()
    return overdue
