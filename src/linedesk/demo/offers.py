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
_FIXED_RATES = {"rate_voice_per_minute": Decimal("0.0900")}
UNLIMITED = None

# code, name, monthly fee, data MB, voice minutes, SMS, EU roaming data MB, segment (None: all)
_MOBILE = (
    ("BIZ-START", "Business Start", "14.99", 50_000, UNLIMITED, 100, 10_000, None),
    ("BIZ-PRO", "Business Pro", "24.99", 150_000, UNLIMITED, UNLIMITED, 20_000, None),
    ("BIZ-UNLIMITED", "Business Unlimited", "39.99", UNLIMITED, UNLIMITED, UNLIMITED, 35_000, None),
    # Only in the large enterprises' catalogue.
    ("BIZ-CORPORATE", "Corporate Unlimited", "34.99", UNLIMITED, UNLIMITED, UNLIMITED, 40_000,
     Segment.large),
    ("BIZ-DATA", "Business Solo Dati", "11.99", 100_000, 0, 0, 8_000, None),
    ("BIZ-PREPAID", "Business Ricaricabile", "8.99", 30_000, 500, 50, 5_000, None),
)  # fmt: skip
# code, name, monthly fee, data MB (fixed lines: no SMS, no roaming)
_FIXED = (
    ("FIX-VOICE", "Business Voce Fisso", "19.00", 0),
    ("FIX-FIBRA", "Business Fibra", "39.00", UNLIMITED),
)

OFFERS = tuple(
    OfferCreate(
        code=code,
        name=name,
        kind=LineKind.mobile,
        segment=segment,
        monthly_fee=Decimal(fee),
        data_mb=data,
        voice_minutes=voice,
        sms=sms,
        eu_roaming_data_mb=roaming,
        **_MOBILE_RATES,
    )
    for code, name, fee, data, voice, sms, roaming, segment in _MOBILE
) + tuple(
    OfferCreate(
        code=code,
        name=name,
        kind=LineKind.fixed,
        monthly_fee=Decimal(fee),
        data_mb=data,
        voice_minutes=UNLIMITED,
        sms=0,
        **_FIXED_RATES,
    )
    for code, name, fee, data in _FIXED
)
