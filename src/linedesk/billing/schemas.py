"""Request/response models of billing."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from linedesk.kit.money import DecimalStr
from linedesk.kit.schemas import CreateSchema, Month, Schema


class RunSummary(Schema):
    """What a billing run did; running it again reports the invoices as already issued."""

    period: date
    billing_accounts: int
    issued: int = 0
    already_invoiced: int = 0
    invoice_lines: int = 0
    total_amount: DecimalStr = Decimal("0.00")
    first_number: str | None = None
    last_number: str | None = None

    def add(self, issued: Sequence[tuple[str, Decimal]], already: int, lines: int) -> None:
        self.issued += len(issued)
        self.already_invoiced += already
        self.invoice_lines += lines
        self.total_amount += sum((total for _, total in issued), Decimal(0))
        if issued:
            self.first_number = self.first_number or issued[0][0]
            self.last_number = issued[-1][0]


class BillingRunIn(CreateSchema):
    period: Month

    @property
    def first_day(self) -> date:
        year, month = self.period.split("-")
        return date(int(year), int(month), 1)
