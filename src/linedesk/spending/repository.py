"""Every query of the spending trend, scoped to the caller's company, on the spending roll-ups
only (usage.models: SpendingMonth, SpendingEstimate, SpendingAccount, SpendingLine), never on
the invoice lines: a company of 10,000 lines has ~500,000 invoice lines in two years, and its
trend reads 48 monthly rows, a row per kind for the estimate (a row per account and kind when
grouped by account), and two rows per line for the lines' totals over the range (their running
totals)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from linedesk.inventory.models import BillingAccount, Line
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope
from linedesk.usage.models import SpendingAccount, SpendingEstimate, SpendingLine, SpendingMonth


@dataclass(frozen=True)
class LineTotal:
    msisdn: str
    kind: LineKind
    billing_account: str
    amount: Decimal


@dataclass(frozen=True)
class EstimateRow:
    """One billing account and line kind in the month not billed yet."""

    billing_account_id: int
    kind: LineKind
    fees: Decimal  # offer fees (pro rata for lines started in the month) and concession tax
    charges: Decimal  # out-of-bundle charges counted so far, not rounded


class SpendingRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def _of_company(self, statement: Select, column: Any) -> Select:
        if self.scope.company_id is not None:
            statement = statement.where(column == self.scope.company_id)
        return statement

    async def by_month_and_kind(
        self, first: date, last: date
    ) -> list[tuple[date, LineKind, Decimal]]:
        statement = select(
            SpendingMonth.period, SpendingMonth.kind, func.sum(SpendingMonth.billed)
        ).where(SpendingMonth.period >= first, SpendingMonth.period <= last)
        statement = self._of_company(statement, SpendingMonth.company_id).group_by(
            SpendingMonth.period, SpendingMonth.kind
        )
        return [
            (period, kind, amount) for period, kind, amount in await self.session.execute(statement)
        ]

    async def by_billing_account(self, first: date, last: date) -> list[tuple[date, str, Decimal]]:
        statement = (
            select(SpendingAccount.period, BillingAccount.code, func.sum(SpendingAccount.billed))
            .join(BillingAccount, BillingAccount.id == SpendingAccount.billing_account_id)
            .where(
                SpendingAccount.period >= first,
                SpendingAccount.period <= last,
                SpendingAccount.billed.is_not(None),
            )
            .group_by(SpendingAccount.period, BillingAccount.code)
        )
        statement = self._of_company(statement, SpendingAccount.company_id)
        return [
            (period, code, amount or Decimal(0))
            for period, code, amount in await self.session.execute(statement)
        ]

    async def estimate(self, period: date) -> dict[LineKind, Decimal]:
        """The month not billed yet per kind: fees plus the charges rounded per account."""
        statement = select(
            SpendingEstimate.kind, func.sum(SpendingEstimate.fees + SpendingEstimate.charges)
        ).where(SpendingEstimate.period == period)
        statement = self._of_company(statement, SpendingEstimate.company_id).group_by(
            SpendingEstimate.kind
        )
        return {kind: amount for kind, amount in await self.session.execute(statement)}

    async def estimate_by_account(self, period: date) -> list[EstimateRow]:
        statement = select(
            SpendingAccount.billing_account_id,
            SpendingAccount.kind,
            SpendingAccount.fees,
            SpendingAccount.charges,
        ).where(SpendingAccount.period == period)
        statement = self._of_company(statement, SpendingAccount.company_id)
        return [EstimateRow(*row) for row in await self.session.execute(statement)]

    async def _month(self, first: date | None, last: date) -> date | None:
        """The latest month with line rows in [first, last] (first None: any before)."""
        statement = select(func.max(SpendingLine.period)).where(SpendingLine.period <= last)
        if first is not None:
            statement = statement.where(SpendingLine.period >= first)
        return await self.session.scalar(self._of_company(statement, SpendingLine.company_id))

    async def _per_line(self, first: date, last: date) -> Any:
        """Each line billed in the months [first, last] and what it was billed in them (None:
        no month billed): its running totals at the range's last billed month minus the ones
        at the month before the range."""
        end_month = await self._month(first, last)
        if end_month is None:
            return None
        start_month = await self._month(None, date.fromordinal(first.toordinal() - 1))
        end, start = aliased(SpendingLine), aliased(SpendingLine)
        amount: Any
        months: Any
        if start_month is None:
            amount, months = end.running_total, end.running_months
            statement = select(end.line_id, amount.label("amount"))
        else:
            amount = end.running_total - func.coalesce(start.running_total, literal(0))
            months = end.running_months - func.coalesce(start.running_months, literal(0))
            statement = select(end.line_id, amount.label("amount")).outerjoin(
                start,
                and_(
                    start.line_id == end.line_id,
                    start.company_id == end.company_id,  # the (company_id, period) index
                    start.period == start_month,
                ),
            )
        return self._of_company(
            statement.where(end.period == end_month, months > 0), end.company_id
        ).subquery()

    async def by_line(
        self, first: date, last: date, *, offset: int = 0, limit: int | None = None
    ) -> list[LineTotal]:
        """Lines by what they were billed in the months [first, last], highest first."""
        per_line = await self._per_line(first, last)
        if per_line is None:
            return []
        statement = (
            select(Line.msisdn, Line.kind, BillingAccount.code, per_line.c.amount)
            .join(Line, Line.id == per_line.c.line_id)
            .join(BillingAccount, BillingAccount.id == Line.billing_account_id)
            .order_by(per_line.c.amount.desc(), Line.msisdn)
            .offset(offset)
            .limit(limit)
        )
        return [LineTotal(*row) for row in await self.session.execute(statement)]

    async def count_lines(self, first: date, last: date) -> int:
        """How many lines were billed in the months [first, last]."""
        per_line = await self._per_line(first, last)
        if per_line is None:
            return 0
        return int(await self.session.scalar(select(func.count()).select_from(per_line)) or 0)

    async def account_codes(self) -> dict[int, str]:
        statement = select(BillingAccount.id, BillingAccount.code)
        statement = self._of_company(statement, BillingAccount.company_id)
        return {id: code for id, code in await self.session.execute(statement)}
