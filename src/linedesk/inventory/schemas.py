"""Request and response models of the inventory (back office and customer views)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from linedesk.inventory.models import Line, LineStatus, PaymentMethod, PaymentMode, Segment
from linedesk.kit.money import DecimalStr
from linedesk.kit.phone import LineKind
from linedesk.kit.schemas import (
    Code,
    Count,
    CreateSchema,
    Day,
    Email,
    PostalCode,
    Province,
    Schema,
    attributes,
    one_line,
)
from linedesk.kit.tax_ids import normalize_fiscal_code, normalize_iccid, normalize_vat_number


def _iban(value: str) -> str:
    try:
        return str(stdnum_iban.validate(value))
    except StdnumError as exc:
        raise ValueError(f"not a valid IBAN: {exc}") from exc


VatNumber = Annotated[str, one_line(max_length=32), AfterValidator(normalize_vat_number)]
FiscalCode = Annotated[str, one_line(max_length=32), AfterValidator(normalize_fiscal_code)]
Iccid = Annotated[str, one_line(max_length=32), AfterValidator(normalize_iccid)]
Iban = Annotated[str, one_line(max_length=64), AfterValidator(_iban)]
Puk = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
SdiCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{7}$", to_upper=True)]
Name = Annotated[str, one_line(max_length=200)]
Allowance = Count | None
Rate = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=4)]


class Address(Schema):
    address_street: Name
    address_postal_code: PostalCode
    address_city: Annotated[str, one_line(max_length=100)]
    address_province: Province


class CompanyCreate(CreateSchema, Address):
    name: Name
    vat_number: VatNumber
    fiscal_code: FiscalCode | None = None
    segment: Segment
    contact_email: Email
    sdi_code: SdiCode | None = None
    pec: Email | None = None

    @model_validator(mode="after")
    def _recipient(self) -> Self:
        if not self.sdi_code and not self.pec:
            raise ValueError("an SDI recipient code or a PEC address is required")
        return self


class CompanyRead(Schema):
    id: int
    name: str
    vat_number: str
    fiscal_code: str
    segment: Segment
    address_street: str
    address_postal_code: str
    address_city: str
    address_province: str
    contact_email: str
    sdi_code: str | None
    pec: str | None
    created_at: datetime


class BillingAccountCreate(CreateSchema, Address):
    company_vat_number: VatNumber
    code: Code
    payment_method: PaymentMethod
    iban: Iban | None = None
    invoice_email: Email

    @model_validator(mode="after")
    def _iban_for_direct_debit(self) -> Self:
        if self.payment_method is PaymentMethod.sepa_direct_debit and not self.iban:
            raise ValueError("SEPA direct debit needs an IBAN")
        return self


class BillingAccountRead(Schema):
    id: int
    company_id: int
    code: str
    payment_method: PaymentMethod
    iban: str | None
    address_street: str
    address_postal_code: str
    address_city: str
    address_province: str
    invoice_email: str
    created_at: datetime


class OfferCreate(CreateSchema):
    code: Code
    name: Annotated[str, one_line(max_length=100)]
    kind: LineKind
    monthly_fee: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
    segment: Segment | None = Field(None, description="the segment's catalogue; null: every one")
    data_mb: Allowance = None
    voice_minutes: Allowance = None
    sms: Allowance = None
    eu_roaming_data_mb: Allowance = None
    rate_data_per_mb: Rate = Decimal("0")
    rate_voice_per_minute: Rate = Decimal("0")
    rate_sms: Rate = Decimal("0")


class OfferRead(Schema):
    id: int
    code: str
    name: str
    kind: LineKind
    monthly_fee: DecimalStr
    segment: Segment | None = Field(description="the segment's catalogue; null: every one")
    data_mb: int | None = Field(description="null means unlimited")
    voice_minutes: int | None = Field(description="null means unlimited")
    sms: int | None = Field(description="null means unlimited")
    eu_roaming_data_mb: int | None
    rate_data_per_mb: Decimal
    rate_voice_per_minute: Decimal
    rate_sms: Decimal


class LineCreate(CreateSchema):
    msisdn: Annotated[str, one_line(min_length=3, max_length=20)]
    kind: LineKind
    status: LineStatus = LineStatus.active
    payment_mode: PaymentMode = PaymentMode.postpaid
    billing_account_code: Code
    offer_code: Code
    activation_date: Day
    holder_name: Name | None = None
    iccid: Iccid | None = None
    puk: Puk | None = None
    data_only: bool = False

    @model_validator(mode="after")
    def _sim_matches_kind(self) -> Self:
        if self.kind is LineKind.mobile and not (self.iccid and self.puk):
            raise ValueError("a mobile line needs its SIM: iccid and puk")
        if self.kind is LineKind.fixed and (self.iccid or self.puk or self.data_only):
            raise ValueError("a fixed line has no SIM")
        if self.kind is LineKind.fixed and self.payment_mode is PaymentMode.prepaid:
            raise ValueError("fixed lines are postpaid")
        return self


class SimRead(Schema):
    iccid: str
    data_only: bool
    installed_at: datetime
    replaced_at: datetime | None


class LineRead(Schema):
    id: int
    company_id: int
    msisdn: str
    kind: LineKind
    status: LineStatus
    payment_mode: PaymentMode
    billing_account_code: str
    offer_code: str
    offer_name: str
    activation_date: date
    holder_name: str | None
    sim: SimRead | None
    sim_history: list[SimRead] = Field(default_factory=list)


class SimSwap(CreateSchema):
    iccid: Iccid
    puk: Puk


class InventoryResource(StrEnum):
    """What the back office can create and import."""

    companies = "companies"
    billing_accounts = "billing-accounts"
    offers = "offers"
    lines = "lines"


class ImportResult(Schema):
    resource: InventoryResource
    imported: int


def line_fields(line: Line) -> dict[str, Any]:
    """What every view of a line shows of it (`LineView`, `LineRead`)."""
    names = ("msisdn", "kind", "status", "payment_mode", "activation_date", "holder_name")
    return attributes(line, *names) | {
        "offer_code": line.offer.code,
        "offer_name": line.offer.name,
        "billing_account_code": line.billing_account.code,
    }


class LineView(Schema):
    """A line as its user (or a manager of the company) sees it."""

    msisdn: str
    kind: LineKind
    status: LineStatus
    payment_mode: PaymentMode
    offer_code: str
    offer_name: str
    activation_date: date
    holder_name: str | None
    billing_account_code: str

    @classmethod
    def of(cls, line: Line) -> "LineView":
        return cls(**line_fields(line))
