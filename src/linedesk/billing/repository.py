"""Every query of the billing run, and the invoice by its number (the back office reads every
company's invoices: no scope)."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select, update

from linedesk.billing.charges import BillableLine, OfferFee, month_end
from linedesk.billing.models import Invoice, InvoiceSequence
from linedesk.inventory.models import (
    BillingAccount,
    Line,
    LineOfferChange,
    LineStatus,
    Offer,
    PaymentMode,
)
from linedesk.kit.bulk import chunks, dialect_insert
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import SessionRepository
from linedesk.usage.models import (
    LineCounter,
    SpendingAccount,
    SpendingEstimate,
    SpendingLine,
    SpendingMonth,
)

# A line's month in the roll-ups: its key, then what a new row replaces.
ROLLUP_KEY = ("line_id", "period")
ROLLUP_COLUMNS = (
    "line_id",
    "period",
    "company_id",
    "billing_account_id",
    "kind",
    "amount",
    "running_total",
    "running_months",
)


class BillingRepository(SessionRepository):
    async def account_ids(self, only: Sequence[int] | None) -> list[int]:
        query = select(BillingAccount.id).order_by(BillingAccount.id)
        if only is not None:
            query = query.where(BillingAccount.id.in_(list(only)))
        return list(await self.session.scalars(query))

    async def offers(self) -> dict[int, OfferFee]:
        rows = await self.session.execute(select(Offer.id, Offer.name, Offer.monthly_fee))
        return {offer_id: OfferFee(name, fee) for offer_id, name, fee in rows}

    async def invoiced(self, accounts: Sequence[int], period: date) -> set[int]:
        rows = await self.session.scalars(
            select(Invoice.billing_account_id).where(
                Invoice.period == period, Invoice.billing_account_id.in_(list(accounts))
            )
        )
        return set(rows)

    async def billable_lines(self, accounts: Sequence[int], period: date) -> list[BillableLine]:
        """Postpaid lines not ceased and activated by the month's end. Prepaid lines pay as
        they go from their credit, and a prepaid SIM owes no concession tax: nothing to
        invoice."""
        rows = await self.session.execute(
            select(
                Line.id,
                Line.company_id,
                Line.billing_account_id,
                Line.msisdn,
                Line.kind,
                Line.activation_date,
                Line.offer_id,
            )
            .where(
                Line.billing_account_id.in_(list(accounts)),
                Line.status != LineStatus.ceased,
                Line.payment_mode == PaymentMode.postpaid,
                Line.activation_date <= month_end(period),
            )
            .order_by(Line.billing_account_id, Line.msisdn)
        )
        lines = [BillableLine(*row) for row in rows]
        offers = await self.offers_in(period, accounts)
        return [
            replace(line, offer_id=offers[line.id]) if line.id in offers else line for line in lines
        ]

    async def offers_in(self, period: date, accounts: Sequence[int]) -> dict[int, int]:
        """The offer of each line of `accounts` in the month `period` starts, where its
        offer history (R-L5) says other than `lines.offer_id`: the latest change that started
        by then or, before its first change, the offer it had before it."""
        rows = await self.session.execute(
            select(
                LineOfferChange.line_id,
                LineOfferChange.effective_from,
                LineOfferChange.offer_id,
                LineOfferChange.previous_offer_id,
            )
            .join(Line, Line.id == LineOfferChange.line_id)
            .where(Line.billing_account_id.in_(list(accounts)))
            .order_by(LineOfferChange.line_id, LineOfferChange.effective_from)
        )
        out: dict[int, int] = {}
        for line_id, effective_from, offer_id, previous_offer_id in rows:
            if effective_from <= period:
                out[line_id] = offer_id
            else:
                out.setdefault(line_id, previous_offer_id)
        return out

    async def usage_charges(self, accounts: Sequence[int], period: date) -> dict[int, Decimal]:
        rows = await self.session.execute(
            select(LineCounter.line_id, LineCounter.charges)
            .join(Line, Line.id == LineCounter.line_id)
            .where(Line.billing_account_id.in_(list(accounts)), LineCounter.period == period)
        )
        return {line_id: charges for line_id, charges in rows}

    async def lock_sequence(self, year: int) -> int:
        """The year's last number, its row locked until the transaction ends (PostgreSQL:
        SELECT … FOR UPDATE; SQLite has a single writer, taken by the INSERT)."""
        await self.session.execute(
            dialect_insert(self.session, InvoiceSequence)
            .values(year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        last = await self.session.scalar(
            select(InvoiceSequence.last_number)
            .where(InvoiceSequence.year == year)
            .with_for_update()
        )
        assert last is not None
        return last

    async def set_last_number(self, year: int, last: int) -> None:
        await self.session.execute(
            update(InvoiceSequence).where(InvoiceSequence.year == year).values(last_number=last)
        )

    async def insert_invoices(self, rows: list[dict[str, Any]]) -> dict[int, int]:
        """The new invoices' ids by billing account."""
        inserted = await self.session.execute(
            insert(Invoice).returning(Invoice.id, Invoice.billing_account_id), rows
        )
        return {account_id: invoice_id for invoice_id, account_id in inserted}

    async def by_number(self, year: int, sequence: int) -> Invoice | None:
        return await self.session.scalar(
            select(Invoice).where(Invoice.year == year, Invoice.sequence == sequence)
        )


class RollupRepository(SessionRepository):
    """The spending roll-ups: written by the billing run (the billed month) and by the
    estimate's refresh; the usage path adds its charges itself (usage.service)."""

    async def put_lines(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert the lines' months. A month already there (one chunk of the run carried a
        line forward while another bills it, the line having changed billing account) takes
        a billed row over a carried one (amount 0), never the other way round."""
        for part in chunks(list(rows), 500):
            statement = dialect_insert(self.session, SpendingLine).values(list(part))
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=list(ROLLUP_KEY),
                    set_={
                        name: statement.excluded[name]
                        for name in ROLLUP_COLUMNS
                        if name not in ROLLUP_KEY
                    },
                    where=statement.excluded.amount != 0,
                )
            )

    async def previous(self, accounts: Sequence[int], period: date) -> list[SpendingLine]:
        """The rows of the lines now in these accounts at the latest month before `period`
        that has any."""
        of_accounts = Line.billing_account_id.in_(list(accounts))
        before = await self.session.scalar(
            select(func.max(SpendingLine.period))
            .join(Line, Line.id == SpendingLine.line_id)
            .where(of_accounts, SpendingLine.period < period)
        )
        if before is None:
            return []
        return list(
            await self.session.scalars(
                select(SpendingLine)
                .join(Line, Line.id == SpendingLine.line_id)
                .where(of_accounts, SpendingLine.period == before)
            )
        )

    async def latest_before(self, line_ids: Sequence[int], period: date) -> list[SpendingLine]:
        """Each line's latest row before `period` (lines billed again after a gap)."""
        if not line_ids:
            return []
        latest = (
            select(SpendingLine.line_id, func.max(SpendingLine.period).label("period"))
            .where(SpendingLine.line_id.in_(list(line_ids)), SpendingLine.period < period)
            .group_by(SpendingLine.line_id)
            .subquery()
        )
        return list(
            await self.session.scalars(
                select(SpendingLine).join(
                    latest,
                    and_(
                        latest.c.line_id == SpendingLine.line_id,
                        latest.c.period == SpendingLine.period,
                    ),
                )
            )
        )

    async def shift_later(self, period: date, added: dict[int, Decimal]) -> None:
        """A month billed after later ones: their running totals take it in."""
        ids = list(added)
        later = await self.session.scalar(
            select(exists().where(SpendingLine.line_id.in_(ids), SpendingLine.period > period))
        )
        if not later:
            return
        for line_id, amount in added.items():
            await self.session.execute(
                update(SpendingLine)
                .where(SpendingLine.line_id == line_id, SpendingLine.period > period)
                .values(
                    running_total=SpendingLine.running_total + amount,
                    running_months=SpendingLine.running_months + 1,
                )
            )

    async def set_account_months(self, rows: list[dict[str, Any]], column: str) -> None:
        """Upsert rows of SpendingAccount, setting `column` (and the ones given)."""
        if not rows:
            return
        statement = dialect_insert(self.session, SpendingAccount)
        names = [name for name in rows[0] if name not in ("billing_account_id", "period", "kind")]
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["billing_account_id", "period", "kind"],
                set_={name: getattr(statement.excluded, name) for name in names},
            ),
            rows,
        )

    async def sum_months(self, company_ids: Sequence[int], period: date) -> None:
        """The companies' month per kind, summed again from their accounts."""
        ids = list(company_ids)
        await self.session.execute(
            delete(SpendingMonth).where(
                SpendingMonth.company_id.in_(ids), SpendingMonth.period == period
            )
        )
        await self.session.execute(
            insert(SpendingMonth).from_select(
                ["company_id", "period", "kind", "billed"],
                select(
                    SpendingAccount.company_id,
                    SpendingAccount.period,
                    SpendingAccount.kind,
                    func.sum(SpendingAccount.billed),
                )
                .where(
                    SpendingAccount.company_id.in_(ids),
                    SpendingAccount.period == period,
                    SpendingAccount.billed.is_not(None),
                )
                .group_by(SpendingAccount.company_id, SpendingAccount.period, SpendingAccount.kind),
            )
        )

    async def estimate(
        self, period: date, company_id: int | None
    ) -> list[tuple[int, int, LineKind, Decimal, int, Decimal]]:
        """The month as the billing run will see it (postpaid lines not ceased), per billing
        account and kind: its company, whole fees (lines active since before the month),
        how many mobile lines owe the concession tax, the counters' charges so far."""
        month_last = month_end(period)
        statement = (
            select(
                Line.billing_account_id,
                Line.company_id,
                Line.kind,
                func.coalesce(
                    func.sum(Offer.monthly_fee).filter(Line.activation_date <= period), 0
                ),
                func.count().filter(Line.kind == LineKind.mobile),
                func.coalesce(func.sum(LineCounter.charges), 0),
            )
            .join(Offer, Offer.id == Line.offer_id)
            .outerjoin(
                LineCounter, and_(LineCounter.line_id == Line.id, LineCounter.period == period)
            )
            .where(
                Line.status != LineStatus.ceased,
                Line.payment_mode == PaymentMode.postpaid,
                Line.activation_date <= month_last,
            )
            .group_by(Line.billing_account_id, Line.company_id, Line.kind)
        )
        if company_id is not None:
            statement = statement.where(Line.company_id == company_id)
        return [tuple(row) for row in await self.session.execute(statement)]  # type: ignore[misc]

    async def started_in(
        self, period: date, company_id: int | None
    ) -> list[tuple[int, int, LineKind, Decimal, date]]:
        """Billable lines activated during the month: their fee is paid pro rata."""
        statement = (
            select(
                Line.billing_account_id,
                Line.company_id,
                Line.kind,
                Offer.monthly_fee,
                Line.activation_date,
            )
            .join(Offer, Offer.id == Line.offer_id)
            .where(
                Line.status != LineStatus.ceased,
                Line.payment_mode == PaymentMode.postpaid,
                Line.activation_date > period,
                Line.activation_date <= month_end(period),
            )
        )
        if company_id is not None:
            statement = statement.where(Line.company_id == company_id)
        return [(a, c, k, fee, day) for a, c, k, fee, day in await self.session.execute(statement)]

    async def clear_estimate(self, period: date, company_id: int | None) -> None:
        """Zero the month's estimate (the accounts', the companies') before it is written
        again."""
        statement = update(SpendingAccount).where(SpendingAccount.period == period)
        companies = delete(SpendingEstimate).where(SpendingEstimate.period == period)
        if company_id is not None:
            statement = statement.where(SpendingAccount.company_id == company_id)
            companies = companies.where(SpendingEstimate.company_id == company_id)
        await self.session.execute(statement.values(fees=0, charges=0))
        await self.session.execute(companies)

    async def put_estimates(self, rows: list[dict[str, Any]]) -> None:
        """Rows of SpendingEstimate, after clear_estimate."""
        if rows:
            await self.session.execute(insert(SpendingEstimate), rows)
