"""Every inventory query, scoped to the caller's company (or all, for operator staff)."""

from collections.abc import Collection
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from linedesk.inventory.models import BillingAccount, Company, Line, LineStatus, Offer, Sim
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import ScopedRepository

C = TypeVar("C", BillingAccount, Offer)


class CodedRepository(ScopedRepository[C]):
    """Rows known to people by a unique `code` (billing accounts, offers)."""

    async def by_codes(self, codes: Collection[str]) -> dict[str, C]:
        result = await self.session.execute(self.readable().where(self.model.code.in_(codes)))
        return {row.code: row for row in result.scalars()}

    async def get_by_code(self, code: str) -> C | None:
        return (await self.by_codes([code])).get(code)


class CompanyRepository(ScopedRepository[Company]):
    model = Company
    company_column = "id"

    def listing(self, segment: str | None = None) -> Select[Company]:
        statement = self.readable().order_by(Company.id)
        if segment:
            statement = statement.where(Company.segment == segment)
        return statement

    async def ids_by_vat(self, vat_numbers: Collection[str]) -> dict[str, int]:
        result = await self.session.execute(
            select(Company.vat_number, Company.id).where(Company.vat_number.in_(vat_numbers))
        )
        return {vat: id for vat, id in result.all()}


class BillingAccountRepository(CodedRepository[BillingAccount]):
    model = BillingAccount

    def listing(self, company_id: int | None = None) -> Select[BillingAccount]:
        statement = self.readable().order_by(BillingAccount.id)
        if company_id is not None:
            statement = statement.where(BillingAccount.company_id == company_id)
        return statement


class OfferRepository(CodedRepository[Offer]):
    """Offers are the operator's catalogue: readable by every company."""

    model = Offer

    def readable(self) -> Select[Offer]:
        return select(Offer)

    def listing(self) -> Select[Offer]:
        return self.readable().order_by(Offer.id)


class LineRepository(ScopedRepository[Line]):
    model = Line

    def readable(self) -> Select[Line]:
        statement = (
            super().readable().options(joinedload(Line.billing_account), joinedload(Line.offer))
        )
        if self.scope.line_ids is not None:
            statement = statement.where(Line.id.in_(self.scope.line_ids))
        return statement

    def listing(
        self,
        *,
        company_id: int | None = None,
        kind: LineKind | None = None,
        status: LineStatus | None = None,
        billing_account_code: str | None = None,
        search: str | None = None,
    ) -> Select[Line]:
        statement = self.readable().order_by(Line.id)
        if company_id is not None:
            statement = statement.where(Line.company_id == company_id)
        if kind:
            statement = statement.where(Line.kind == kind)
        if status:
            statement = statement.where(Line.status == status)
        if billing_account_code:
            statement = statement.join(Line.billing_account).where(
                BillingAccount.code == billing_account_code
            )
        if search:
            statement = statement.where(Line.msisdn.contains(search.strip().lstrip("+")))
        return statement

    async def get_by_msisdn(self, msisdn: str) -> Line | None:
        result = await self.session.execute(self.readable().where(Line.msisdn == msisdn))
        return result.scalar_one_or_none()

    async def existing_msisdns(self, msisdns: Collection[str]) -> set[str]:
        # Uniqueness is global, so this check deliberately looks beyond the caller's scope.
        result = await self.session.execute(select(Line.msisdn).where(Line.msisdn.in_(msisdns)))
        return set(result.scalars())

    async def sims_of(self, line_ids: Collection[int]) -> dict[int, list[Sim]]:
        statement = select(Sim).where(Sim.line_id.in_(line_ids)).order_by(Sim.installed_at.desc())
        if self.scope.company_id is not None:
            statement = statement.where(Sim.company_id == self.scope.company_id)
        sims: dict[int, list[Sim]] = {}
        for sim in (await self.session.execute(statement)).scalars():
            sims.setdefault(sim.line_id, []).append(sim)
        return sims

    async def current_sim(self, line: Line) -> Sim | None:
        return await self.current_sim_of(line.id, line.company_id)

    async def current_sim_of(self, line_id: int, company_id: int) -> Sim | None:
        result = await self.session.execute(
            select(Sim).where(
                Sim.line_id == line_id, Sim.company_id == company_id, Sim.replaced_at.is_(None)
            )
        )
        return result.scalar_one_or_none()

    async def existing_iccids(self, iccids: Collection[str]) -> set[str]:
        result = await self.session.execute(select(Sim.iccid).where(Sim.iccid.in_(iccids)))
        return set(result.scalars())
