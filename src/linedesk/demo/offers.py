"""The demo operator's catalogue of business offers."""

from decimal import Decimal

from linedesk.inventory.models import Segment
from linedesk.inventory.schemas import OfferCreate
from linedesk.kit.phone import LineKind

_MOBILE_RATES = {
    "rate_data_per_mb": Decimal("0.0100"),
    "rate_voice_per_minute": Decimal("0.1900"),
    "rate_sms": Decimal("0.1900"),
}

OFFERS = (
    OfferCreate(
        code="BIZ-START",
        name="Business Start",
        kind=LineKind.mobile,
        monthly_fee=Decimal("14.99"),
        data_mb=50_000,
        voice_minutes=None,
        sms=100,
        eu_roaming_data_mb=10_000,
        **_MOBILE_RATES,
    ),
    OfferCreate(
        code="BIZ-PRO",
        name="Business Pro",
        kind=LineKind.mobile,
        monthly_fee=Decimal("24.99"),
        data_mb=150_000,
        voice_minutes=None,
        sms=None,
        eu_roaming_data_mb=20_000,
        **_MOBILE_RATES,
    ),
    OfferCreate(
        code="BIZ-UNLIMITED",
        name="Business Unlimited",
        kind=LineKind.mobile,
        monthly_fee=Decimal("39.99"),
        data_mb=None,
        voice_minutes=None,
        sms=None,
        eu_roaming_data_mb=35_000,
        **_MOBILE_RATES,
    ),
    OfferCreate(
        code="BIZ-CORPORATE",
        name="Corporate Unlimited",
        kind=LineKind.mobile,
        segment=Segment.large,  # only in the large enterprises' catalogue
        monthly_fee=Decimal("34.99"),
        data_mb=None,
        voice_minutes=None,
        sms=None,
        eu_roaming_data_mb=40_000,
        **_MOBILE_RATES,
    ),
    OfferCreate(
        code="BIZ-DATA",
        name="Business Solo Dati",
        kind=LineKind.mobile,
        monthly_fee=Decimal("11.99"),
        data_mb=100_000,
        voice_minutes=0,
        sms=0,
        eu_roaming_data_mb=8_000,
        **_MOBILE_RATES,
    ),
    OfferCreate(
        code="BIZ-PREPAID",
        name="Business Ricaricabile",
        kind=LineKind.mobile,
        monthly_fee=Decimal("8.99"),
        data_mb=30_000,
        voice_minutes=500,
        sms=50,
        eu_roaming_data_mb=5_000,
        **_MOBILE_RATES,
    ),
    OfferCreate(
        code="FIX-VOICE",
        name="Business Voce Fisso",
        kind=LineKind.fixed,
        monthly_fee=Decimal("19.00"),
        data_mb=0,
        voice_minutes=None,
        sms=0,
        rate_voice_per_minute=Decimal("0.0900"),
    ),
    OfferCreate(
        code="FIX-FIBRA",
        name="Business Fibra",
        kind=LineKind.fixed,
        monthly_fee=Decimal("39.00"),
        data_mb=None,
        voice_minutes=None,
        sms=0,
        rate_voice_per_minute=Decimal("0.0900"),
    ),
)
