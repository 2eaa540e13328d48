"""Request and response models of line actions."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from linedesk.kit.money import Money
from linedesk.kit.schemas import INT32_MAX, CreateSchema, Schema, one_line
from linedesk.lineactions.models import BlockReason, RequestKind, RequestState, SimKind

CapAmount = Annotated[Decimal, Field(ge=Decimal("1.00"), le=Decimal("99999.99"), decimal_places=2)]


class BlockRequest(CreateSchema):
    reason: BlockReason = Field(description="`lost` or `stolen` (a stolen SIM needs a replacement)")


class UnblockRequest(CreateSchema):
    password: Annotated[str, one_line(200)] | None = Field(
        default=None, description="An employee confirms with their password; managers need none"
    )


class Services(Schema):
    roaming: bool
    international_calls: bool
    premium_services: bool
    mobile_data: bool


class ServicesUpdate(CreateSchema):
    """The services wanted; a field left out stays as it is."""

    roaming: bool | None = None
    international_calls: bool | None = None
    premium_services: bool | None = None
    mobile_data: bool | None = None


class LineServices(Services):
    msisdn: str
    data_only: bool = Field(description="A data-only SIM has no voice: its voice bars are fixed")
    spending_cap: Money | None
    cap_barred: bool = Field(description="Chargeable traffic barred until the period's end")
    blocked: bool
    block_reason: BlockReason | None
    employees_switch_roaming: bool = Field(
        description="The company lets employees switch roaming on their own line"
    )
    can_change: list[str] = Field(description="The services the caller may switch")


class SpendingCapUpdate(CreateSchema):
    amount: CapAmount | None = Field(description="EUR per month; null removes the cap")


class SimReplacementRequest(CreateSchema):
    kind: SimKind


class OfferChangeRequest(CreateSchema):
    offer_id: int = Field(ge=1, le=INT32_MAX)


class PolicyUpdate(CreateSchema):
    employees_switch_roaming: bool


class Policy(Schema):
    employees_switch_roaming: bool


class CatalogueOffer(Schema):
    id: int
    code: str
    name: str
    monthly_fee: Money
    data_mb: int | None = Field(description="null means unlimited")
    voice_minutes: int | None = Field(description="null means unlimited")
    sms: int | None = Field(description="null means unlimited")
    eu_roaming_data_mb: int | None


class RequestFilters(BaseModel):
    """Which of the caller's line requests a listing shows: all, or of one state, kind or line."""

    state: RequestState | None = None
    kind: RequestKind | None = None
    msisdn: Annotated[str | None, Field(max_length=20)] = None


class LineRequestRead(Schema):
    id: int
    msisdn: str
    kind: RequestKind
    state: RequestState
    reason: str | None = Field(description="Why it failed, or why linedesk asked it")
    payload: dict[str, Any] = Field(description="What was asked (secrets never appear here)")
    result: dict[str, Any] = Field(description="What the network answered (no secrets)")
    actor_id: int | None = Field(description="Who asked; null for linedesk itself")
    activation_code_available: bool = Field(
        default=False, description="An eSIM activation code waits to be shown (once)"
    )
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None


class BackofficeLineRequestRead(LineRequestRead):
    company_id: int
    attempts: int
    last_error: str | None
    idempotency_key: str


class ActivationCode(Schema):
    """An eSIM activation code, shown once: scan the QR code with the phone."""

    request_id: int
    msisdn: str
    activation_code: str = Field(description="GSMA SGP.22: LPA:1$<SM-DP+ address>$<matching id>")
    qr_svg: str = Field(description="The code as a QR code (SVG)")


class ProvisioningCallback(CreateSchema):
    """What the provisioning system reports, signed like our requests."""

    request_id: int = Field(ge=1, le=INT32_MAX)
    idempotency_key: Annotated[str, one_line(64)]
    status: Literal["done", "failed"]
    reason: Annotated[str, one_line(500)] | None = None
    # sim_replacement: iccid and puk; eSIM: smdp_address and matching_id too.
    result: dict[str, Any] = Field(default_factory=dict)


class ProvisioningAck(Schema):
    request_id: int
    state: RequestState


class OfferChangeRead(Schema):
    line_id: int
    from_offer_id: int
    to_offer_id: int
    effective_from: date
    applied_at: datetime | None
