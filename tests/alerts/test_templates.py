"""Every alert's message exists in Italian and English and its SMS is one GSM-7 part."""

from decimal import Decimal

import pytest

from linedesk.alerts.service import ALLOWANCES, Crossing, Thresholds, alert_payload
from linedesk.messaging.models import Channel
from linedesk.messaging.templates import render_message
from linedesk.usage.models import AlertKind
from linedesk.usage.rating import Counters, OfferTerms

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
TERMS = OfferTerms(
    data_bytes=150 * 10**9,
    voice_seconds=30_000,
    sms=100,
    roaming_data_bytes=20 * 10**9,
    rate_data_per_mb=Decimal("0.01"),
    rate_voice_per_minute=Decimal("0.19"),
    rate_sms=Decimal("0.19"),
)
AFTER = Counters(
    data_bytes=149_990_000_000,
    voice_seconds=29_999,
    sms_count=100,
    roaming_data_bytes=19_900_000_000,
    roaming_charges=Decimal("1234.56"),
    credit=Decimal("1.99"),
)
CROSSINGS = [
    Crossing(kind, allowance)
    for allowance in ALLOWANCES
    for kind in (allowance.warn, allowance.full)
] + [
    Crossing(AlertKind.low_credit),
    Crossing(AlertKind.roaming_first_use),
    Crossing(AlertKind.roaming_bill_shock),
]


def _template(crossing: Crossing) -> str:
    if crossing.allowance is None:
        return crossing.kind.value
    return "usage_alert_100" if crossing.kind is crossing.allowance.full else "usage_alert_80"


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("crossing", CROSSINGS, ids=lambda c: c.kind.value)
def test_every_alert_renders_as_a_single_gsm7_sms_and_an_email(crossing, language):
    payload = alert_payload(crossing, language, "+393471234567", TERMS, AFTER, Thresholds())
    sms = render_message(_template(crossing), language, Channel.sms, payload)
    assert len(sms.text) <= 160, sms.text
    assert set(sms.text) <= GSM7_BASIC, set(sms.text) - GSM7_BASIC
    email = render_message(_template(crossing), language, Channel.email, payload)
    assert email.subject and "+393471234567" in email.text and email.html


def test_quantities_are_in_human_units():
    payload = alert_payload(
        Crossing(AlertKind.voice_80, ALLOWANCES[1]), "it", "+39", TERMS, AFTER, Thresholds()
    )
    assert (payload["used"], payload["included"]) == ("499 min", "500 min")
    payload = alert_payload(
        Crossing(AlertKind.data_100, ALLOWANCES[0]), "en", "+39", TERMS, AFTER, Thresholds()
    )
    assert (payload["used"], payload["included"]) == ("150.0 GB", "150.0 GB")
