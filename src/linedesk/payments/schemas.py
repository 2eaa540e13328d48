"""Request/response models of payments."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from linedesk.billing.models import InvoiceStatus
from linedesk.kit.clock import ROME
from linedesk.kit.money import DecimalStr
from linedesk.kit.schemas import CreateSchema, Schema, Timestamp

InvoiceNumber = Annotated[str, StringConstraints(pattern=r"^\d{4}/\d{6}$")]
Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9./:+_-]+$")
]


class PaymentIn(CreateSchema):
    """A payment as the bank reports it; `paid_at` without a time zone is Italian time."""

    reference: Reference
    invoice_number: InvoiceNumber
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    paid_at: Timestamp

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_comma(cls, value: object) -> object:
        # Italian bank files write 1234,56: a comma with no point is the decimal separator.
        if isinstance(value, str) and "," in value and "." not in value:
            return value.replace(",", ".")
        return value

    @field_validator("paid_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=ROME)


class PaymentRead(Schema):
    reference: str
    invoice_number: str
    amount: DecimalStr
    paid_at: datetime
    invoice_status: InvoiceStatus
    already_recorded: bool = Field(
        default=False, description="true when this reference had been recorded before"
    )


class PaymentImportResult(Schema):
    recorded: int
    already_recorded: int
    invoices_paid: int
