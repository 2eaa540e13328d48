"""Every query of the company's data, scoped to the caller's company."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import contains_eager

from linedesk.inventory.models import BillingAccount, Company, Line, LineStatus, Offer
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import ScopedRepository


@dataclass(frozen=True)
class LineFilters:
    search: str | None = None
    kind: LineKind | None = None
    status: LineStatus | None = None
    offer: str | None = None  # offer code
    billing_account: str | None = None  # billing account code

    def query_items(self) -> dict[str, str]:
        """The filters as query parameters (for the pager's links)."""
        return {k: str(v) for k, v in vars(self).items() if v}


class CompanyDataRepository(ScopedRepository[Line]):
    model = Line

    async def company(self) -> Company | None:
        statement = select(Company)
        if self.scope.company_id is not None:
            statement = statement.where(Company.id == self.scope.company_id)
        return (await self.session.execute(statement.limit(1))).scalar_one_or_none()

    async def line_counts(self) -> list[tuple[LineKind, LineStatus, int]]:
        statement = self._scoped(
            select(Line.kind, Line.status, func.count()).group_by(Line.kind, Line.status)
        )
        return [
            (kind, status, count) for kind, status, count in await self.session.execute(statement)
        ]

    def billing_accounts(self) -> Select[BillingAccount]:
        statement = select(BillingAccount).order_by(BillingAccount.code)
        if self.scope.company_id is not None:
            statement = statement.where(BillingAccount.company_id == self.scope.company_id)
        return statement

    async def billing_account_codes(self) -> list[str]:
        statement = select(BillingAccount.code).order_by(BillingAccount.code)
        if self.scope.company_id is not None:
            statement = statement.where(BillingAccount.company_id == self.scope.company_id)
        return list(await self.session.scalars(statement))

    async def offers_in_use(self) -> list[Offer]:
        """The offers the company's lines have (the filter's choices)."""
        used = self._scoped(select(Line.offer_id).distinct())
        return list(
            await self.session.scalars(
                select(Offer).where(Offer.id.in_(used)).order_by(Offer.name, Offer.code)
            )
        )

    def lines(self, filters: LineFilters) -> Select[Line]:
        statement = (
            self.readable()
            .join(Line.billing_account)
            .join(Line.offer)
            .options(contains_eager(Line.billing_account), contains_eager(Line.offer))
            .order_by(Line.msisdn)
        )
        if filters.search:
            statement = statement.where(self._matching(filters.search))
        if filters.kind:
            statement = statement.where(Line.kind == filters.kind)
        if filters.status:
            statement = statement.where(Line.status == filters.status)
        if filters.offer:
            statement = statement.where(Offer.code == filters.offer)
        if filters.billing_account:
            statement = statement.where(BillingAccount.code == filters.billing_account)
        return statement

    @staticmethod
    def _matching(search: str) -> ColumnElement[bool]:
        """Part of the number (spaces and a leading + ignored) or of the holder's name."""
        text = search.strip()
        digits = text.lstrip("+").replace(" ", "")
        by_name = func.lower(Line.holder_name).contains(text.lower(), autoescape=True)
        if digits.isdigit():
            return or_(Line.msisdn.contains(digits, autoescape=True), by_name)
        return by_name

    def _scoped(self, statement: Select) -> Select:
        if self.scope.company_id is not None:
            statement = statement.where(Line.company_id == self.scope.company_id)
        return statement
