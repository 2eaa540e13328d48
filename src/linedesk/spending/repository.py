"""Every query of the spending trend, scoped to the caller's company and aggregated in SQL:
a company of 10,000 lines has ~500,000 invoice lines in two years, so no row leaves the
database unless it is a sum."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, func, select

from linedesk.billing.models import Invoice, InvoiceLine
from linedesk.inventory.models import BillingAccount, Line, LineStatus, Offer, PaymentMode
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import ScopedRepository
from linedesk.usage.models import LineCounter


@dataclass(frozen=True)
class LineTotal:
    msisdn: str
    kind: LineKind
    billing_account: str
    amount: Decimal


@dataclass(frozen=True)
class EstimateRow:
    """Sums of one billing account and line kind for the month not billed yet."""

    billing_account_id: int
    kind: LineKind
    full_fees: Decimal  # lines active since before the month: the whole fee
    mobile_lines: int  # postpaid mobile lines: each owes the concession tax
    charges: Decimal  # out-of-bundle charges counted so far


class SpendingRepository(ScopedRepository[InvoiceLine]):
    model = InvoiceLine

    def _billed(self, first: date, last_day: date) -> Select[InvoiceLine]:
        # An invoice line's end_date is the last day of its billed month (billing.charges),
        # so the month is known without joining the invoice.
        return self.readable().where(
            InvoiceLine.end_date >= first, InvoiceLine.end_date <= last_day
        )

    async def by_month_and_kind(
        self, first: date, last_day: date
    ) -> list[tuple[date, LineKind, Decimal]]:
        billed = self._billed(first, last_day).subquery()
        statement = (
            select(billed.c.end_date, Line.kind, func.sum(billed.c.amount))
            .join(Line, Line.id == billed.c.line_id)
            .group_by(billed.c.end_date, Line.kind)
        )
        rows = await self.session.execute(statement)
        return [(end.replace(day=1), kind, amount) for end, kind, amount in rows]

    async def by_billing_account(self, first: date, last: date) -> list[tuple[date, str, Decimal]]:
        """From the invoices' totals (one invoice per account and month; its taxable and
        exempt amounts are the sum of its lines), so no invoice line is read."""
        statement = (
            select(
                Invoice.period,
                BillingAccount.code,
                func.sum(Invoice.taxable_amount + Invoice.exempt_amount),
            )
            .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
            .where(Invoice.period >= first, Invoice.period <= last)
            .group_by(Invoice.period, BillingAccount.code)
        )
        if self.scope.company_id is not None:
            statement = statement.where(Invoice.company_id == self.scope.company_id)
        return [
            (period, code, amount) for period, code, amount in await self.session.execute(statement)
        ]

    async def by_line(
        self, first: date, last_day: date, *, offset: int = 0, limit: int | None = None
    ) -> tuple[list[LineTotal], int]:
        """Lines by what they were billed in the range, highest first, and how many lines."""
        billed = self._billed(first, last_day).subquery()
        per_line = (
            select(billed.c.line_id, func.sum(billed.c.amount).label("amount"))
            .where(billed.c.line_id.is_not(None))
            .group_by(billed.c.line_id)
            .subquery()
        )
        statement = (
            select(Line.msisdn, Line.kind, BillingAccount.code, per_line.c.amount)
            .join(Line, Line.id == per_line.c.line_id)
            .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
            .order_by(per_line.c.amount.desc(), Line.msisdn)
            .offset(offset)
            .limit(limit)
        )
        rows = [LineTotal(*row) for row in await self.session.execute(statement)]
        if limit is None or (offset == 0 and len(rows) < limit):
            return rows, offset + len(rows)
        total = await self.session.scalar(select(func.count()).select_from(per_line))
        return rows, int(total or 0)

    async def estimate(self, period: date, month_end: date) -> list[EstimateRow]:
        """The current month as the billing run will see it (postpaid lines not ceased):
        whole fees, concession tax count, and the counters' charges so far."""
        billable = and_(
            Line.status != LineStatus.ceased,
            Line.payment_mode == PaymentMode.postpaid,
            Line.activation_date <= month_end,
        )
        full = Line.activation_date <= period
        statement = (
            select(
                Line.billing_account_id,
                Line.kind,
                func.coalesce(func.sum(Offer.monthly_fee).filter(full), 0),
                func.count().filter(Line.kind == LineKind.mobile),
                func.coalesce(func.sum(LineCounter.charges), 0),
            )
            .join(Offer, Offer.id == Line.offer_id)
            .outerjoin(
                LineCounter, and_(LineCounter.line_id == Line.id, LineCounter.period == period)
            )
            .where(billable)
            .group_by(Line.billing_account_id, Line.kind)
        )
        statement = self._company(statement)
        return [EstimateRow(*row) for row in await self.session.execute(statement)]

    async def started_in(
        self, period: date, month_end: date
    ) -> list[tuple[int, LineKind, Decimal, date]]:
        """Billable lines activated during the month: their fee is paid pro rata."""
        statement = (
            select(Line.billing_account_id, Line.kind, Offer.monthly_fee, Line.activation_date)
            .join(Offer, Offer.id == Line.offer_id)
            .where(
                Line.status != LineStatus.ceased,
                Line.payment_mode == PaymentMode.postpaid,
                Line.activation_date > period,
                Line.activation_date <= month_end,
            )
        )
        return [(a, k, fee, day) for a, k, fee, day in await self._company_rows(statement)]

    async def account_codes(self) -> dict[int, str]:
        statement = select(BillingAccount.id, BillingAccount.code)
        if self.scope.company_id is not None:
            statement = statement.where(BillingAccount.company_id == self.scope.company_id)
        return {id: code for id, code in await self.session.execute(statement)}

    def _company(self, statement: Select) -> Select:
        if self.scope.company_id is not None:
            statement = statement.where(Line.company_id == self.scope.company_id)
        return statement

    async def _company_rows(self, statement: Select) -> list:
        return list(await self.session.execute(self._company(statement)))
