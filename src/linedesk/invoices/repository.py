"""Every query of the invoices' area, scoped to the caller's company before it runs."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from linedesk.billing.models import Invoice, InvoiceLine, InvoiceStatus
from linedesk.inventory.models import BillingAccount, Company
from linedesk.kit.repository import ScopedRepository


@dataclass(frozen=True)
class InvoiceFilters:
    billing_account: str | None = None  # the account's code
    period: date | None = None  # first day of the billed month
    status: InvoiceStatus | None = None


class InvoiceRepository(ScopedRepository[Invoice]):
    model = Invoice

    def listing(self, filters: InvoiceFilters) -> Select[Invoice]:
        """Newest first; the billing account is matched by code within the company."""
        statement = self.readable()
        if filters.billing_account is not None:
            statement = statement.where(
                Invoice.billing_account_id.in_(
                    self._accounts()
                    .with_only_columns(BillingAccount.id)
                    .where(BillingAccount.code == filters.billing_account)
                )
            )
        if filters.period is not None:
            statement = statement.where(Invoice.period == filters.period)
        if filters.status is not None:
            statement = statement.where(Invoice.status == filters.status)
        return statement.order_by(Invoice.period.desc(), Invoice.number.desc())

    async def lines(self, invoice: Invoice) -> list[InvoiceLine]:
        statement = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
        if self.scope.company_id is not None:
            statement = statement.where(InvoiceLine.company_id == self.scope.company_id)
        return list(await self.session.scalars(statement.order_by(InvoiceLine.position)))

    def _accounts(self) -> Select[BillingAccount]:
        statement = select(BillingAccount)
        if self.scope.company_id is not None:
            statement = statement.where(BillingAccount.company_id == self.scope.company_id)
        return statement

    async def accounts(self) -> list[BillingAccount]:
        """The company's billing accounts, for the list's filter."""
        return list(await self.session.scalars(self._accounts().order_by(BillingAccount.code)))

    async def account(self, invoice: Invoice) -> BillingAccount:
        account = await self.session.scalar(
            self._accounts().where(BillingAccount.id == invoice.billing_account_id)
        )
        assert account is not None  # an invoice's account is in the invoice's company
        return account

    async def account_codes(self, invoices: Sequence[Invoice]) -> dict[int, str]:
        ids = {invoice.billing_account_id for invoice in invoices}
        if not ids:
            return {}
        rows = await self.session.execute(
            self._accounts()
            .with_only_columns(BillingAccount.id, BillingAccount.code)
            .where(BillingAccount.id.in_(ids))
        )
        return {account_id: code for account_id, code in rows}

    async def company(self, invoice: Invoice) -> Company:
        return await self.session.get_one(Company, invoice.company_id)
