"""Responses of the counters (R-U2), the usage detail (R-U3) and the widgets (R-U5)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from linedesk.kit.money import Money
from linedesk.kit.schemas import CreateSchema, Schema, one_line
from linedesk.usage.models import Destination, UsageType


class Unit(StrEnum):
    bytes = "bytes"
    seconds = "seconds"
    messages = "messages"


class CreditKind(StrEnum):
    prepaid_balance = "prepaid_balance"
    out_of_bundle_charges = "out_of_bundle_charges"


class Allowance(Schema):
    """One allowance of the period: `included` and `remaining` are null when unlimited."""

    used: int
    included: int | None
    remaining: int | None
    unit: Unit
    unlimited: bool
    offered: bool = Field(
        default=True,
        description="false when the line's offer has no such service (a data-only SIM's calls "
        "and SMS, a fixed line's SMS and roaming) and nothing was used: clients hide it",
    )


class Credit(Schema):
    """A prepaid line's balance, or a postpaid line's out-of-bundle charges so far."""

    kind: CreditKind
    amount: Money


class Usage(Schema):
    data: Allowance
    voice: Allowance
    sms: Allowance


class Summary(Schema):
    """The counters of a line for the current period (calendar month, Europe/Rome)."""

    msisdn: str
    period: date = Field(description="first day of the period")
    offer_name: str
    payment_mode: str
    usage: Usage
    roaming_data: Allowance = Field(description="EU-roaming data, within the data allowance")
    credit: Credit
    updated_at: datetime | None = Field(description="last counter update; null before any use")


class DayUsage(Schema):
    day: date
    type: UsageType
    quantity: int
    charge: Money


class RecordRead(Schema):
    started_at: datetime
    type: UsageType
    destination: Destination
    quantity: int
    in_bundle: int
    charge: Money


class UsageDetail(Schema):
    msisdn: str
    from_: date = Field(serialization_alias="from")
    to: date
    type: UsageType | None
    days: list[DayUsage]
    latest_records: list[RecordRead] = Field(description="newest first, at most 50")


class WidgetVariant(StrEnum):
    light = "light"
    extended = "extended"


class QuickLink(Schema):
    feature: str
    url: str


class WidgetLight(Schema):
    """Exactly the three counters (usage, credit, offer name) and when they were updated."""

    usage: Usage
    credit: Credit
    offer_name: str
    updated_at: datetime | None


class WidgetExtended(WidgetLight):
    settings_url: str
    quick_links: list[QuickLink] = Field(description="pinned ones, else the most used; ≤ 4")


Feature = Annotated[str, one_line(max_length=32)]


class WidgetSettings(CreateSchema):
    line: Annotated[str, one_line(max_length=20)] | None = Field(
        default=None, description="the widget's line; null: main line"
    )
    pinned_links: Annotated[list[Feature], Field(max_length=4)] = Field(default_factory=list)
