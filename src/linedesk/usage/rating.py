"""Rating (SPEC R-U1), as pure functions over a line's counters, so it can be tested for any
sequence of records. National and EU-roaming use draws on the offer's allowances (roam like
at home; roaming data also within the EU-roaming allowance); international and premium use
is always charged. Beyond an allowance each unit costs the offer's rate."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from linedesk.inventory.models import Line, LineStatus, Offer, PaymentMode
from linedesk.kit.phone import LineKind
from linedesk.usage.models import Destination, UsageType

BYTES_PER_MB = 1_000_000
SECONDS_PER_MINUTE = 60
CHARGE_QUANTUM = Decimal("0.000001")
ZERO = Decimal(0)
IN_BUNDLE_DESTINATIONS = frozenset({Destination.national, Destination.eu_roaming})


@dataclass(frozen=True)
class OfferTerms:
    """An offer's allowances per period (None: unlimited) and out-of-bundle rates."""

    data_bytes: int | None
    voice_seconds: int | None
    sms: int | None
    roaming_data_bytes: int | None
    rate_data_per_mb: Decimal
    rate_voice_per_minute: Decimal
    rate_sms: Decimal

    @classmethod
    def of(cls, offer: Offer) -> "OfferTerms":
        def scaled(value: int | None, factor: int) -> int | None:
            return None if value is None else value * factor

        return cls(
            data_bytes=scaled(offer.data_mb, BYTES_PER_MB),
            voice_seconds=scaled(offer.voice_minutes, SECONDS_PER_MINUTE),
            sms=offer.sms,
            roaming_data_bytes=scaled(offer.eu_roaming_data_mb, BYTES_PER_MB),
            rate_data_per_mb=offer.rate_data_per_mb,
            rate_voice_per_minute=offer.rate_voice_per_minute,
            rate_sms=offer.rate_sms,
        )

    def allowance(self, usage_type: UsageType) -> int | None:
        return {
            UsageType.data: self.data_bytes,
            UsageType.voice: self.voice_seconds,
            UsageType.sms: self.sms,
        }[usage_type]

    def charge(self, usage_type: UsageType, excess: int) -> Decimal:
        if usage_type is UsageType.data:
            amount = Decimal(excess) * self.rate_data_per_mb / BYTES_PER_MB
        elif usage_type is UsageType.voice:
            amount = Decimal(excess) * self.rate_voice_per_minute / SECONDS_PER_MINUTE
        else:
            amount = Decimal(excess) * self.rate_sms
        return amount.quantize(CHARGE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Counters:
    """A line's period so far. Quantities count national and EU-roaming use (what the
    allowances are measured against); charges count everything out of bundle."""

    data_bytes: int = 0
    voice_seconds: int = 0
    sms_count: int = 0
    roaming_data_bytes: int = 0
    charges: Decimal = Decimal(0)
    roaming_charges: Decimal = Decimal(0)
    roaming_events: int = 0  # EU-roaming records of any type (first use in the period)
    credit: Decimal | None = None  # prepaid lines only

    def used(self, usage_type: UsageType) -> int:
        return {
            UsageType.data: self.data_bytes,
            UsageType.voice: self.voice_seconds,
            UsageType.sms: self.sms_count,
        }[usage_type]


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What rating and alerts need of a line, read without the ORM (one per line a batch
    touches, so it is kept light)."""

    id: int
    msisdn: str
    company_id: int
    offer_id: int
    kind: LineKind
    status: LineStatus
    payment_mode: PaymentMode
    activation_date: date


@dataclass(frozen=True)
class CountersChange:
    """What one import did to a line's period: the alerts are decided from it."""

    line: LineFacts | Line
    period: date
    terms: OfferTerms
    before: Counters
    after: Counters


@dataclass(frozen=True)
class Rated:
    in_bundle: int
    charge: Decimal


def _remaining(allowance: int | None, used: int) -> int | None:
    return None if allowance is None else max(0, allowance - used)


def rate(
    terms: OfferTerms,
    counters: Counters,
    usage_type: UsageType,
    destination: Destination,
    quantity: int,
) -> tuple[Rated, Counters]:
    """Rate one record against the counters; return it and the counters after it."""
    in_bundle = 0
    if destination in IN_BUNDLE_DESTINATIONS:
        remaining = _remaining(terms.allowance(usage_type), counters.used(usage_type))
        if usage_type is UsageType.data and destination is Destination.eu_roaming:
            roaming = _remaining(terms.roaming_data_bytes, counters.roaming_data_bytes)
            if roaming is not None:
                remaining = roaming if remaining is None else min(remaining, roaming)
        in_bundle = quantity if remaining is None else min(quantity, remaining)
    charge = terms.charge(usage_type, quantity - in_bundle)
    return Rated(in_bundle, charge), _count(counters, usage_type, destination, quantity, charge)


def _count(
    counters: Counters,
    usage_type: UsageType,
    destination: Destination,
    quantity: int,
    charge: Decimal,
) -> Counters:
    eligible = quantity if destination in IN_BUNDLE_DESTINATIONS else 0
    roaming = destination is Destination.eu_roaming
    data = usage_type is UsageType.data
    # A prepaid line cannot go below zero: the network stops it when the credit is gone.
    credit = counters.credit
    if credit is not None:
        credit = max(ZERO, credit - charge)
    # Built field by field (not dataclasses.replace): this runs once per imported record.
    return Counters(
        counters.data_bytes + (eligible if data else 0),
        counters.voice_seconds + (eligible if usage_type is UsageType.voice else 0),
        counters.sms_count + (eligible if usage_type is UsageType.sms else 0),
        counters.roaming_data_bytes + (quantity if roaming and data else 0),
        counters.charges + charge,
        counters.roaming_charges + (charge if roaming else ZERO),
        counters.roaming_events + (1 if roaming else 0),
        credit,
    )
