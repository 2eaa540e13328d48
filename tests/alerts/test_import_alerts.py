"""Alerts through the real usage import, read as SMS in the development mailbox."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from linedesk.alerts.service import Thresholds, alerts_hook
from linedesk.inventory.schemas import LineCreate
from linedesk.inventory.service import RESOURCES, create_one
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import import_records, top_up
from tests.alerts.helpers import GB, alert_world
from tests.conftest import NOW
from tests.factories import CTX, line_data
from tests.identity.helpers import bearer

OCTOBER = datetime(2026, 10, 3, 8, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
_ids = count(1)


def record(
    msisdn: str, at: datetime, quantity: int, type_: str = "data", destination: str = "national"
) -> UsageRecordIn:
    return UsageRecordIn(
        record_id=f"alert-test-{next(_ids)}",
        line=msisdn,
        started_at=at,
        type=type_,
        quantity=quantity,
        destination=destination,
    )


async def _import(session, *records: UsageRecordIn) -> None:
    await import_records(
        session, NOW, list(enumerate(records, start=1)), on_counters=alerts_hook(Thresholds())
    )
    await session.commit()


async def _texts(mailbox, msisdn):
    # Every message is queued at the same (frozen) time: compare them in text order.
    return sorted(m["text"] for m in await mailbox(msisdn))


async def test_80_and_100_percent_of_the_data_are_sent_once_per_period(session, mailbox):
    aw = await alert_world(session)  # 50 GB of data
    number = aw.msisdn
    await _import(
        session,
        record(number, OCTOBER, 30 * GB),
        record(number, OCTOBER + timedelta(hours=1), 11 * GB),
    )
    await _import(session, record(number, OCTOBER + timedelta(days=1), 5 * GB))
    await _import(session, record(number, OCTOBER + timedelta(days=2), 5 * GB))
    await _import(
        session,
        record(number, OCTOBER + timedelta(days=3), 5 * GB),
        record(number, OCTOBER + timedelta(days=4), 9 * GB),
    )
    assert await _texts(mailbox, number) == [
        "linedesk: hai usato il 100% dei dati del mese (51,0 GB su 50,0 GB). "
        "Da ora il traffico si paga a consumo.",
        "linedesk: hai usato l'80% dei dati del mese (41,0 GB su 50,0 GB).",
    ]
    await _import(session, record(number, NOVEMBER, 45 * GB))
    texts = await _texts(mailbox, number)
    assert len(texts) == 3
    assert "linedesk: hai usato l'80% dei dati del mese (45,0 GB su 50,0 GB)." in texts


async def test_a_switched_off_kind_is_not_sent(session, client, mailbox):
    aw = await alert_world(session)
    headers = await bearer(client, aw.msisdn)
    response = await client.put(
        "/api/v1/me/usage-alerts", headers=headers, json={"kinds": {"data_80": False}}
    )
    assert response.status_code == 200
    await _import(session, record(aw.msisdn, NOVEMBER, 42 * GB))
    assert await mailbox(aw.msisdn) == []
    await _import(session, record(aw.msisdn, NOVEMBER + timedelta(days=1), 9 * GB))
    [sms] = await mailbox(aw.msisdn)
    assert "100%" in sms["text"]


async def test_low_prepaid_credit(session, mailbox):
    aw = await alert_world(session, registered=False)
    line = LineCreate(**line_data(aw.world["account"], aw.world["offer"], payment_mode="prepaid"))
    await create_one(session, RESOURCES["lines"], line, CTX)
    await top_up(session, NOW, line.msisdn, Decimal("5.00"), "top-up-1")
    await session.commit()
    # International calls are always charged: 0.19 EUR a minute.
    await _import(session, record(line.msisdn, NOVEMBER, 600, "voice", "international"))
    assert await mailbox(line.msisdn) == []  # 3.10 EUR left
    await _import(
        session, record(line.msisdn, NOVEMBER + timedelta(hours=1), 600, "voice", "international")
    )
    await _import(
        session, record(line.msisdn, NOVEMBER + timedelta(hours=2), 60, "voice", "international")
    )
    assert await _texts(mailbox, line.msisdn) == [
        f"linedesk: il credito della linea {line.msisdn} è 1,20 EUR. "
        "Ricarica per continuare a usarla."
    ]


async def test_first_roaming_use_then_bill_shock(session, mailbox):
    aw = await alert_world(session, language="en")  # 10 GB of EU-roaming data
    number = aw.msisdn
    await _import(session, record(number, NOVEMBER, 120, "voice", "eu_roaming"))
    await _import(
        session, record(number, NOVEMBER + timedelta(hours=1), 11 * GB, destination="eu_roaming")
    )
    # 1 GB beyond the roaming allowance at 0.01 EUR/MB: 10 EUR; 1.1 GB more: 21 EUR.
    await _import(
        session,
        record(number, NOVEMBER + timedelta(hours=2), 1_100_000_000, destination="eu_roaming"),
    )
    assert await _texts(mailbox, number) == [
        "linedesk: this month you have spent 21.00 EUR on roaming, over 20.00 EUR. "
        "Check your usage in the app.",
        "linedesk: you are roaming in the EU. Call, text and browse as at home; "
        "roaming data included: 10.0 GB.",
        "linedesk: you have used 100% of the EU roaming data this month "
        "(11.0 GB of 10.0 GB). Further usage is charged.",
    ]
