"""Request/response models of the invoices' area; money as {amount, currency}."""

from datetime import date
from decimal import Decimal

from linedesk.billing.models import Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus
from linedesk.kit.money import DecimalStr, Money
from linedesk.kit.schemas import CreateSchema, Email, Schema, attributes


def _money(value: Decimal, currency: str) -> Money:
    return Money(amount=value, currency=currency)


class InvoiceRead(Schema):
    """An invoice as listed: its totals, without the lines."""

    id: int
    number: str
    billing_account: str
    period: str  # YYYY-MM
    issue_date: date
    due_date: date
    status: InvoiceStatus
    taxable_amount: Money
    vat_amount: Money
    exempt_amount: Money  # outside the VAT base: the government concession tax (N1)
    total_amount: Money

    @classmethod
    def of(cls, invoice: Invoice, account_code: str) -> "InvoiceRead":
        currency = invoice.currency
        return cls(
            id=invoice.id,
            number=invoice.number,
            billing_account=account_code,
            period=f"{invoice.period:%Y-%m}",
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            status=invoice.status,
            taxable_amount=_money(invoice.taxable_amount, currency),
            vat_amount=_money(invoice.vat_amount, currency),
            exempt_amount=_money(invoice.exempt_amount, currency),
            total_amount=_money(invoice.total_amount, currency),
        )


class InvoiceLineRead(Schema):
    position: int
    msisdn: str | None
    description: str
    kind: InvoiceLineKind
    start_date: date
    end_date: date
    quantity: DecimalStr
    unit_price: Money
    amount: Money
    vat_rate: DecimalStr
    vat_nature: str | None

    @classmethod
    def of(cls, line: InvoiceLine, currency: str) -> "InvoiceLineRead":
        names = ("position", "msisdn", "description", "kind", "start_date", "end_date")
        return cls(
            **attributes(line, *names, "quantity", "vat_rate", "vat_nature"),
            unit_price=_money(line.unit_price, currency),
            amount=_money(line.amount, currency),
        )


class InvoiceDetail(InvoiceRead):
    lines: list[InvoiceLineRead]


class ShareRequest(CreateSchema):
    email: Email


class ShareQueued(Schema):
    """The e-mail is in the outbox; the worker attaches the PDF when it sends it."""

    email: str
    message_id: int
