"""Which alerts an import's before → after sends: once per period, to the right person."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from linedesk.alerts.service import Thresholds, evaluate_alerts
from linedesk.usage.models import SentAlert
from linedesk.usage.rating import Counters
from tests.alerts.helpers import GB, alert_world
from tests.conftest import NOW
from tests.identity.helpers import bearer

NOVEMBER, DECEMBER = date(2026, 11, 1), date(2026, 12, 1)


async def _evaluate(session, aw, before, after, period=NOVEMBER, thresholds=Thresholds()):
    await evaluate_alerts(session, NOW, aw.line, period, aw.terms, before, after, thresholds)
    await session.commit()


async def _recorded(session, aw):
    rows = await session.scalars(select(SentAlert.kind).where(SentAlert.line_id == aw.line.id))
    return sorted(kind.value for kind in rows)


async def test_passing_80_percent_of_the_data_sends_one_sms_in_the_users_language(session, mailbox):
    aw = await alert_world(session)
    await _evaluate(session, aw, Counters(data_bytes=39 * GB), Counters(data_bytes=40 * GB))
    [sms] = await mailbox(aw.msisdn)
    assert sms["channel"] == "sms"
    assert sms["text"] == ("linedesk: hai usato l'80% dei dati del mese (40,0 GB su 50,0 GB).")
    assert await _recorded(session, aw) == ["data_80"]


async def test_each_alert_is_sent_once_per_period_and_again_the_next(session, mailbox):
    aw = await alert_world(session, language="en")
    crossing = (Counters(data_bytes=39 * GB), Counters(data_bytes=41 * GB))
    await _evaluate(session, aw, *crossing)
    await _evaluate(session, aw, *crossing)  # e.g. a concurrent import saw the same crossing
    assert len(await mailbox(aw.msisdn)) == 1
    await _evaluate(session, aw, *crossing, period=DECEMBER)
    texts = [m["text"] for m in await mailbox(aw.msisdn)]
    assert texts == ["linedesk: you have used 80% of the data this month (41.0 GB of 50.0 GB)."] * 2
    assert await session.scalar(select(func.count()).select_from(SentAlert)) == 2


async def test_passing_80_and_100_percent_at_once_sends_only_the_100_percent_alert(
    session, mailbox
):
    aw = await alert_world(session)
    await _evaluate(session, aw, Counters(sms_count=70), Counters(sms_count=105))
    [sms] = await mailbox(aw.msisdn)
    assert sms["text"].startswith(
        "linedesk: hai usato il 100% degli SMS del mese (105 SMS su 100 SMS)."
    )
    assert await _recorded(session, aw) == ["sms_100"]


@pytest.mark.parametrize(
    ("before", "after", "kinds"),
    [
        (Counters(voice_seconds=23_999), Counters(voice_seconds=24_000), ["voice_80"]),
        (Counters(voice_seconds=24_000), Counters(voice_seconds=29_999), []),
        (Counters(voice_seconds=29_999), Counters(voice_seconds=30_000), ["voice_100"]),
        (
            Counters(data_bytes=10 * GB, roaming_data_bytes=7 * GB, roaming_events=7),
            Counters(data_bytes=11 * GB, roaming_data_bytes=8 * GB, roaming_events=8),
            ["roaming_data_80"],
        ),
        (Counters(), Counters(), []),
    ],
)
async def test_thresholds_are_reached_exactly(session, mailbox, before, after, kinds):
    aw = await alert_world(session)
    await _evaluate(session, aw, before, after)
    assert await _recorded(session, aw) == kinds
    assert len(await mailbox(aw.msisdn)) == len(kinds)


async def test_unlimited_and_absent_allowances_never_alert(session, mailbox):
    aw = await alert_world(session)
    aw.terms = replace(aw.terms, data_bytes=None, voice_seconds=0)
    await _evaluate(session, aw, Counters(), Counters(data_bytes=900 * GB, voice_seconds=60))
    assert await _recorded(session, aw) == []
    assert await mailbox(aw.msisdn) == []


async def test_a_line_nobody_registered_is_told_by_sms_in_italian(session, mailbox):
    aw = await alert_world(session, registered=False)
    await _evaluate(
        session, aw, Counters(), Counters(roaming_data_bytes=1, data_bytes=1, roaming_events=1)
    )
    [sms] = await mailbox(aw.msisdn)
    assert sms["text"] == (
        "linedesk: sei in roaming UE. Chiami, scrivi e navighi come in "
        "Italia; dati in roaming inclusi: 10,0 GB."
    )


async def test_low_credit_is_sent_when_the_credit_falls_to_the_threshold(session, mailbox):
    aw = await alert_world(session, language="en")
    await _evaluate(session, aw, Counters(credit=Decimal("5.00")), Counters(credit=Decimal("2.50")))
    assert await mailbox(aw.msisdn) == []
    await _evaluate(session, aw, Counters(credit=Decimal("2.50")), Counters(credit=Decimal("2.00")))
    await _evaluate(
        session,
        aw,
        Counters(credit=Decimal("9.00")),  # a top-up, then again
        Counters(credit=Decimal("0.10")),
    )
    [sms] = await mailbox(aw.msisdn)
    assert sms["text"] == (
        "linedesk: the credit of line " + aw.msisdn + " is 2.00 EUR. Top up to keep using it."
    )


async def test_roaming_first_use_and_bill_shock(session, mailbox):
    aw = await alert_world(session)
    roaming = Counters(roaming_charges=Decimal("0.19"), charges=Decimal("0.19"), roaming_events=1)
    await _evaluate(session, aw, Counters(), roaming)
    shock = Counters(roaming_charges=Decimal("20.01"), charges=Decimal("20.01"), roaming_events=2)
    await _evaluate(session, aw, replace(roaming, roaming_charges=Decimal("19.99")), shock)
    await _evaluate(session, aw, shock, replace(shock, roaming_charges=Decimal(80)))
    shock, first_use = sorted(m["text"] for m in await mailbox(aw.msisdn))
    assert first_use.startswith("linedesk: sei in roaming UE.")
    assert shock == (
        "linedesk: questo mese hai speso 20,01 EUR in roaming, oltre "
        "20,00 EUR. Controlla i consumi nell'app."
    )
    assert await _recorded(session, aw) == ["roaming_bill_shock", "roaming_first_use"]


async def test_the_thresholds_come_from_the_settings(session, mailbox, settings):
    aw = await alert_world(session)
    await _evaluate(
        session,
        aw,
        Counters(roaming_charges=Decimal(4), roaming_events=1),
        Counters(roaming_charges=Decimal(6), roaming_events=2),
        thresholds=Thresholds.from_settings(
            settings.model_copy(update={"roaming_charge_alert": Decimal(5)})
        ),
    )
    assert await _recorded(session, aw) == ["roaming_bill_shock"]


async def test_a_switched_off_alert_is_neither_sent_nor_recorded(session, client, mailbox):
    aw = await alert_world(session)
    headers = await bearer(client, aw.msisdn)
    response = await client.put(
        "/api/v1/me/usage-alerts", headers=headers, json={"kinds": {"data_80": False}}
    )
    assert response.status_code == 200, response.text
    await _evaluate(
        session,
        aw,
        Counters(data_bytes=39 * GB, sms_count=79),
        Counters(data_bytes=41 * GB, sms_count=80),
    )
    [sms] = await mailbox(aw.msisdn)
    assert "degli SMS" in sms["text"]
    assert await _recorded(session, aw) == ["sms_80"]
