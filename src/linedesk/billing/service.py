"""The monthly billing run (SPEC R-M1): one invoice per billing account and month, numbered
per year with no gaps, in chunks of accounts each written in bulk.

Idempotent: an account already invoiced for the month is skipped (and a unique key backs
it), so a run can be repeated, or resumed after it was killed. Numbers are taken from
`InvoiceSequence` under a row lock in the same transaction as the invoices, so a rolled-back
chunk leaves no gap. Services flush and never commit: `commit` is the caller's, after
every chunk."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.charges import (
    CONCESSION_TAX,
    BillableLine,
    DraftLine,
    OfferFee,
    line_charges,
    month_end,
    prorated_fee,
    totals,
)
from linedesk.billing.models import InvoiceLine, InvoiceStatus
from linedesk.billing.repository import ROLLUP_COLUMNS, BillingRepository, RollupRepository
from linedesk.billing.schemas import RunSummary
from linedesk.errors import ValidationFailed
from linedesk.kit.bulk import chunks, copy_or_insert
from linedesk.kit.clock import ROME
from linedesk.kit.money import round_cents
from linedesk.kit.phone import LineKind

DEFAULT_CHUNK = 500
LINE_COLUMNS = (
    "company_id",
    "invoice_id",
    "position",
    "line_id",
    "msisdn",
    "description",
    "kind",
    "start_date",
    "end_date",
    "quantity",
    "unit_price",
    "amount",
    "vat_rate",
    "vat_nature",
)
Commit = Callable[[], Awaitable[None]]
InvoicesIssued = Callable[[AsyncSession, datetime, Sequence[int]], Awaitable[object]]
"""Told of each chunk's new invoices inside its transaction (the managers' notices): passed
in by whoever runs the billing (jobs.py, the CLI, the back-office route), so billing imports
no domain above it."""
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
        raise ValidationFailed(
            "Only a month that has ended can be billed",
            details=[{"field": "period", "reason": "not ended yet"}],
        )


def invoice_number(year: int, sequence: int) -> str:
    return f"{year}/{sequence:06d}"


# --- the spending roll-ups (usage.models: SpendingLine, SpendingAccount, SpendingMonth,
# SpendingEstimate) ---------------------------------------------------------------------------

ZERO = Decimal("0.00")


async def roll_up(
    session: AsyncSession,
    period: date,
    accounts: Sequence[int],
    lines: Sequence[BillableLine],
    drafts: dict[int, tuple[int, list[DraftLine]]],
) -> None:
    """The billed month in the spending roll-ups, for these accounts: each billed line's
    amount and running totals, the lines billed before carried forward (amount 0), the
    accounts' and the companies' months per kind."""
    rollups = RollupRepository(session)
    billed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for _, account_lines in drafts.values():
        for draft in account_lines:
            if draft.line_id is not None:
                billed[draft.line_id] += draft.amount
    previous = {row.line_id: row for row in await rollups.previous(accounts, period)}
    gaps = [line_id for line_id in billed if line_id not in previous]
    previous |= {row.line_id: row for row in await rollups.latest_before(gaps, period)}
    by_id = {line.id: line for line in lines}
    rows: list[tuple[Any, ...]] = []
    per_account: dict[tuple[int, LineKind, int], Decimal] = defaultdict(lambda: ZERO)
    for line_id, amount in billed.items():
        line, before = by_id[line_id], previous.get(line_id)
        rows.append(
            (
                line_id,
                period,
                line.company_id,
                line.billing_account_id,
                line.kind.value,
                amount,
                (before.running_total if before else ZERO) + amount,
                (before.running_months if before else 0) + 1,
            )
        )
        per_account[line.billing_account_id, line.kind, line.company_id] += amount
    for line_id, before in previous.items():
        if line_id not in billed and before.period < period:
            rows.append(
                (
                    line_id,
                    period,
                    before.company_id,
                    before.billing_account_id,
                    before.kind.value,
                    ZERO,
                    before.running_total,
                    before.running_months,
                )
            )
    await rollups.put_lines([dict(zip(ROLLUP_COLUMNS, row, strict=True)) for row in rows])
    await rollups.shift_later(period, billed)
    await rollups.set_account_months(
        [
            {
                "billing_account_id": account_id,
                "period": period,
                "kind": kind,
                "company_id": company_id,
                "billed": amount,
            }
            for (account_id, kind, company_id), amount in per_account.items()
        ],
        "billed",
    )
    await rollups.sum_months(sorted({company for _, _, company in per_account}), period)


async def refresh_estimate(session: AsyncSession, period: date, company_id: int | None) -> None:
    """Write the month's estimate again from the inventory and the counters (every
    company's, or one's): the billing run's figures for each account and kind (whole fees,
    pro rata fees, concession tax) and the charges counted so far; and per company and kind
    their sums, each account's charges rounded to the cent first. The usage path keeps the
    charges up to date between refreshes; the daily jobs and the billing run refresh."""
    rollups = RollupRepository(session)
    fees: dict[tuple[int, LineKind], Decimal] = defaultdict(lambda: ZERO)
    charges: dict[tuple[int, LineKind], Decimal] = defaultdict(lambda: ZERO)
    companies: dict[int, int] = {}
    for account_id, company, kind, full, mobile, counted in await rollups.estimate(
        period, company_id
    ):
        fees[account_id, kind] += full + CONCESSION_TAX * mobile
        charges[account_id, kind] += counted
        companies[account_id] = company
    for account_id, company, kind, fee, activation in await rollups.started_in(period, company_id):
        fees[account_id, kind] += prorated_fee(fee, activation, period)
        companies[account_id] = company
    await rollups.clear_estimate(period, company_id)
    await rollups.set_account_months(
        [
            {
                "billing_account_id": account_id,
                "period": period,
                "kind": kind,
                "company_id": companies[account_id],
                "fees": fees[account_id, kind],
                "charges": charges[account_id, kind],
            }
            for account_id, kind in fees.keys() | charges.keys()
        ],
        "fees",
    )
    per_company: dict[tuple[int, LineKind], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for account_id, kind in fees.keys() | charges.keys():
        sums = per_company[companies[account_id], kind]
        sums[0] += fees[account_id, kind]
        sums[1] += round_cents(charges[account_id, kind])
    await rollups.put_estimates(
        [
            {"company_id": company, "period": period, "kind": kind, "fees": fee, "charges": charge}
            for (company, kind), (fee, charge) in sorted(per_company.items())
        ]
    )


# --- writing -------------------------------------------------------------------------------


def _drafts(
    lines: Sequence[BillableLine],
    offers: dict[int, OfferFee],
    usage: dict[int, Decimal],
    period: date,
) -> dict[int, tuple[int, list[DraftLine]]]:
    """Per billing account (in order): its company and its invoice lines."""
    out: dict[int, tuple[int, list[DraftLine]]] = {}
    for line in lines:
        drafts = line_charges(line, offers[line.offer_id], usage.get(line.id, Decimal(0)), period)
        if drafts:
            out.setdefault(line.billing_account_id, (line.company_id, []))[1].extend(drafts)
    return out


def _invoice_rows(
    drafts: dict[int, tuple[int, list[DraftLine]]],
    first: int,
    period: date,
    issue: date,
    due: date,
    now: datetime,
) -> list[dict[str, Any]]:
    rows = []
    for sequence, (account_id, (company_id, lines)) in enumerate(
        sorted(drafts.items()), start=first
    ):
        sums = totals(lines)
        rows.append(
            {
                "company_id": company_id,
                "billing_account_id": account_id,
                "number": invoice_number(issue.year, sequence),
                "year": issue.year,
                "sequence": sequence,
                "period": period,
                "issue_date": issue,
                "due_date": due,
                "status": InvoiceStatus.issued,
                "taxable_amount": sums.taxable,
                "vat_amount": sums.vat,
                "exempt_amount": sums.exempt,
                "total_amount": sums.total,
                "currency": "EUR",
                "created_at": now,
            }
        )
    return rows


def _line_rows(
    drafts: dict[int, tuple[int, list[DraftLine]]], invoice_ids: dict[int, int]
) -> list[tuple[Any, ...]]:
    rows = []
    for account_id, (company_id, lines) in drafts.items():
        invoice_id = invoice_ids[account_id]
        for position, d in enumerate(lines, start=1):
            rows.append(
                (
                    company_id,
                    invoice_id,
                    position,
                    d.line_id,
                    d.msisdn,
                    d.description,
                    d.kind.value,
                    d.start_date,
                    d.end_date,
                    d.quantity,
                    d.unit_price,
                    d.amount,
                    d.vat_rate,
                    d.vat_nature,
                )
            )
    return rows


async def _issue_chunk(
    session: AsyncSession,
    now: datetime,
    period: date,
    accounts: Sequence[int],
    offers: dict[int, OfferFee],
    due_days: int,
    on_issued: InvoicesIssued | None,
) -> _Chunk:
    issue = now.astimezone(ROME).date()
    repo = BillingRepository(session)
    last = await repo.lock_sequence(issue.year)  # first: runs queue here
    done = await repo.invoiced(accounts, period)
    todo = [account for account in accounts if account not in done]
    result = _Chunk(already=len(done))
    if not todo:
        return result
    lines = await repo.billable_lines(todo, period)
    drafts = _drafts(lines, offers, await repo.usage_charges(todo, period), period)
    await roll_up(session, period, todo, lines, drafts)
    if not drafts:
        return result
    rows = _invoice_rows(drafts, last + 1, period, issue, issue + timedelta(days=due_days), now)
    invoice_ids = await repo.insert_invoices(rows)
    if on_issued is not None:
        await on_issued(session, now, list(invoice_ids.values()))
    line_rows = _line_rows(drafts, invoice_ids)
    await copy_or_insert(session, InvoiceLine, LINE_COLUMNS, line_rows)
    await repo.set_last_number(issue.year, last + len(rows))
    result.issued = [(row["number"], row["total_amount"]) for row in rows]
    result.lines = len(line_rows)
    return result


async def issue_invoices(
    session: AsyncSession,
    now: datetime,
    period: date,
    *,
    billing_account_ids: Sequence[int] | None = None,
    due_days: int = 30,
    chunk_size: int = DEFAULT_CHUNK,
    commit: Commit | None = None,
    progress: Progress | None = None,
    on_issued: InvoicesIssued | None = None,
) -> RunSummary:
    """Invoice the month `period` starts for every billing account (or the given ones) not
    invoiced for it yet. With `commit`, each chunk of accounts is its own transaction.
    `on_issued` is told of each chunk's new invoices in the same transaction (the managers'
    notices; none for the demo's past months)."""
    check_period(period, now.astimezone(ROME).date())
    repo = BillingRepository(session)
    accounts = await repo.account_ids(billing_account_ids)
    offers = await repo.offers()
    summary = RunSummary(period=period, billing_accounts=len(accounts))
    for part in chunks(accounts, chunk_size):
        chunk = await _issue_chunk(session, now, period, part, offers, due_days, on_issued)
        await session.flush()
        if commit is not None:
            await commit()
        summary.add(chunk.issued, chunk.already, chunk.lines)
        if progress is not None:
            progress(len(part))
    return summary
