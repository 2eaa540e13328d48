"""The monthly billing run (SPEC R-M1): one invoice per billing account and month, numbered
per year with no gaps, in chunks of accounts each written in bulk.

Idempotent: an account already invoiced for the month is skipped (and a unique key backs
it), so a run can be repeated, or resumed after it was killed. Numbers are taken from
`InvoiceSequence` under a row lock in the same transaction as the invoices, so a rolled-back
chunk leaves no gap. Services flush and never commit: `commit` is the caller's, after
every chunk."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.charges import (
    BillableLine,
    DraftLine,
    OfferFee,
    line_charges,
    month_end,
    totals,
)
from linedesk.billing.models import Invoice, InvoiceLine, InvoiceSequence, InvoiceStatus
from linedesk.billing.schemas import RunSummary
from linedesk.errors import ValidationFailed
from linedesk.inventory.models import BillingAccount, Line, LineStatus, Offer, PaymentMode
from linedesk.kit.bulk import chunks, copy_or_insert, dialect_insert
from linedesk.kit.clock import ROME
from linedesk.notifications.service import notify_invoices_issued
from linedesk.usage.models import LineCounter

DEFAULT_CHUNK = 500
LINE_COLUMNS = ("company_id", "invoice_id", "position", "line_id", "msisdn", "description",
                "kind", "start_date", "end_date", "quantity", "unit_price", "amount",
                "vat_rate", "vat_nature")
Commit = Callable[[], Awaitable[None]]
Progress = Callable[[int], None]  # accounts done in the chunk just committed


@dataclass
class _Chunk:
    issued: list[tuple[str, Decimal]] = field(default_factory=list)  # number, total
    already: int = 0
    lines: int = 0


def check_period(period: date, today: date) -> None:
    if period.day != 1:
        raise ValidationFailed("A billing period is a month: give its first day")
    if month_end(period) >= today:
        raise ValidationFailed("Only a month that has ended can be billed",
                               details=[{"field": "period", "reason": "not ended yet"}])


# --- reading -------------------------------------------------------------------------------

async def _account_ids(session: AsyncSession, only: Sequence[int] | None) -> list[int]:
    query = select(BillingAccount.id).order_by(BillingAccount.id)
    if only is not None:
        query = query.where(BillingAccount.id.in_(list(only)))
    return list(await session.scalars(query))


async def _offers(session: AsyncSession) -> dict[int, OfferFee]:
    rows = await session.execute(select(Offer.id, Offer.name, Offer.monthly_fee))
    return {offer_id: OfferFee(name, fee) for offer_id, name, fee in rows}


async def _invoiced(session: AsyncSession, accounts: Sequence[int], period: date) -> set[int]:
    rows = await session.scalars(select(Invoice.billing_account_id).where(
        Invoice.period == period, Invoice.billing_account_id.in_(list(accounts))))
    return set(rows)


async def _billable_lines(session: AsyncSession, accounts: Sequence[int], period: date
                          ) -> list[BillableLine]:
    """Postpaid lines not ceased and activated by the month's end. Prepaid lines pay as they
    go from their credit, and a prepaid SIM owes no concession tax: nothing to invoice."""
    rows = await session.execute(
        select(Line.id, Line.company_id, Line.billing_account_id, Line.msisdn, Line.kind,
               Line.activation_date, Line.offer_id)
        .where(Line.billing_account_id.in_(list(accounts)), Line.status != LineStatus.ceased,
               Line.payment_mode == PaymentMode.postpaid,
               Line.activation_date <= month_end(period))
        .order_by(Line.billing_account_id, Line.msisdn))
    return [BillableLine(*row) for row in rows]


async def _usage_charges(session: AsyncSession, accounts: Sequence[int], period: date
                         ) -> dict[int, Decimal]:
    rows = await session.execute(
        select(LineCounter.line_id, LineCounter.charges)
        .join(Line, Line.id == LineCounter.line_id)
        .where(Line.billing_account_id.in_(list(accounts)), LineCounter.period == period))
    return {line_id: charges for line_id, charges in rows}


# --- numbering -----------------------------------------------------------------------------

async def _lock_sequence(session: AsyncSession, year: int) -> int:
    """The year's last number, its row locked until the transaction ends (PostgreSQL:
    SELECT … FOR UPDATE; SQLite has a single writer, taken by the INSERT)."""
    await session.execute(dialect_insert(session, InvoiceSequence).values(year=year,
                                                                          last_number=0)
                          .on_conflict_do_nothing(index_elements=["year"]))
    last = await session.scalar(select(InvoiceSequence.last_number)
                                .where(InvoiceSequence.year == year).with_for_update())
    assert last is not None
    return last


def invoice_number(year: int, sequence: int) -> str:
    return f"{year}/{sequence:06d}"


# --- writing -------------------------------------------------------------------------------

def _drafts(lines: Sequence[BillableLine], offers: dict[int, OfferFee],
            usage: dict[int, Decimal], period: date) -> dict[int, tuple[int, list[DraftLine]]]:
    """Per billing account (in order): its company and its invoice lines."""
    out: dict[int, tuple[int, list[DraftLine]]] = {}
    for line in lines:
        drafts = line_charges(line, offers[line.offer_id], usage.get(line.id, Decimal(0)),
                              period)
        if drafts:
            out.setdefault(line.billing_account_id, (line.company_id, []))[1].extend(drafts)
    return out


def _invoice_rows(drafts: dict[int, tuple[int, list[DraftLine]]], first: int, period: date,
                  issue: date, due: date, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for sequence, (account_id, (company_id, lines)) in enumerate(sorted(drafts.items()),
                                                                  start=first):
        sums = totals(lines)
        rows.append({
            "company_id": company_id, "billing_account_id": account_id,
            "number": invoice_number(issue.year, sequence), "year": issue.year,
            "sequence": sequence, "period": period, "issue_date": issue, "due_date": due,
            "status": InvoiceStatus.issued, "taxable_amount": sums.taxable,
            "vat_amount": sums.vat, "exempt_amount": sums.exempt, "total_amount": sums.total,
            "currency": "EUR", "created_at": now})
    return rows


def _line_rows(drafts: dict[int, tuple[int, list[DraftLine]]], invoice_ids: dict[int, int]
               ) -> list[tuple[Any, ...]]:
    rows = []
    for account_id, (company_id, lines) in drafts.items():
        invoice_id = invoice_ids[account_id]
        for position, d in enumerate(lines, start=1):
            rows.append((company_id, invoice_id, position, d.line_id, d.msisdn, d.description,
                         d.kind.value, d.start_date, d.end_date, d.quantity, d.unit_price,
                         d.amount, d.vat_rate, d.vat_nature))
    return rows


async def _issue_chunk(session: AsyncSession, now: datetime, period: date,
                       accounts: Sequence[int], offers: dict[int, OfferFee], due_days: int,
                       notify: bool = True) -> _Chunk:
    issue = now.astimezone(ROME).date()
    last = await _lock_sequence(session, issue.year)  # first: runs queue here
    done = await _invoiced(session, accounts, period)
    todo = [account for account in accounts if account not in done]
    result = _Chunk(already=len(done))
    if not todo:
        return result
    lines = await _billable_lines(session, todo, period)
    drafts = _drafts(lines, offers, await _usage_charges(session, todo, period), period)
    if not drafts:
        return result
    rows = _invoice_rows(drafts, last + 1, period, issue, issue + timedelta(days=due_days), now)
    inserted = await session.execute(
        insert(Invoice).returning(Invoice.id, Invoice.billing_account_id), rows)
    invoice_ids = {account_id: invoice_id for invoice_id, account_id in inserted}
    if notify:
        await notify_invoices_issued(session, now, list(invoice_ids.values()))
    line_rows = _line_rows(drafts, invoice_ids)
    await copy_or_insert(session, InvoiceLine, LINE_COLUMNS, line_rows)
    await session.execute(update(InvoiceSequence).where(InvoiceSequence.year == issue.year)
                          .values(last_number=last + len(rows)))
    result.issued = [(row["number"], row["total_amount"]) for row in rows]
    result.lines = len(line_rows)
    return result


async def issue_invoices(session: AsyncSession, now: datetime, period: date, *,
                         billing_account_ids: Sequence[int] | None = None,
                         due_days: int = 30, chunk_size: int = DEFAULT_CHUNK,
                         commit: Commit | None = None, progress: Progress | None = None,
                         notify: bool = True) -> RunSummary:
    """Invoice the month `period` starts for every billing account (or the given ones) not
    invoiced for it yet. With `commit`, each chunk of accounts is its own transaction.
    The managers are told of each new invoice in the same transaction (not with `notify`
    off: the demo's past months)."""
    check_period(period, now.astimezone(ROME).date())
    accounts = await _account_ids(session, billing_account_ids)
    offers = await _offers(session)
    summary = RunSummary(period=period, billing_accounts=len(accounts))
    for part in chunks(accounts, chunk_size):
        chunk = await _issue_chunk(session, now, period, part, offers, due_days, notify)
        await session.flush()
        if commit is not None:
            await commit()
        summary.add(chunk.issued, chunk.already, chunk.lines)
        if progress is not None:
            progress(len(part))
    return summary
