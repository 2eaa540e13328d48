"""Usage alerts go in-app, by SMS and by push, each channel switchable by the user (R-U4)."""

import json

from sqlalchemy import select

from linedesk.alerts.service import (
    Thresholds,
    alert_channels,
    evaluate_alerts,
    set_alert_switches,
)
from linedesk.identity.models import User
from linedesk.messaging.models import Channel, OutboxMessage
from linedesk.messaging.service import save_push_subscription
from linedesk.usage.models import AlertKind
from linedesk.usage.rating import Counters
from tests.alerts.helpers import GB, alert_world
from tests.conftest import NOW
from tests.identity.helpers import bearer
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web

ENDPOINT = "https://push.example.net/send/alerts1"
KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0"
    "VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}
CROSSING = (Counters(data_bytes=39 * GB), Counters(data_bytes=41 * GB))


async def _subscribed(session):
    aw = await alert_world(session)
    user = await session.get(User, aw.user_id)
    await save_push_subscription(
        session, user.company_id, user.id, ENDPOINT, KEYS["p256dh"], KEYS["auth"], NOW
    )
    await session.commit()
    return aw, user


async def _sent(session):
    rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(m.channel, m.recipient, m.template, m.payload) for m in rows]


async def _cross(session, aw):
    await evaluate_alerts(
        session, NOW, aw.line, NOW.date().replace(day=1), aw.terms, *CROSSING, Thresholds()
    )
    await session.commit()


async def test_an_alert_goes_by_sms_and_to_each_browser_of_the_user(session):
    aw, _ = await _subscribed(session)
    await _cross(session, aw)
    sms, push = await _sent(session)
    assert sms[:3] == (Channel.sms, aw.msisdn, "usage_alert_80")
    assert push[0] is Channel.push and push[2] == "usage_alert_80"
    assert json.loads(push[1]) == {"endpoint": ENDPOINT, "keys": KEYS}
    assert push[3]["url"] == "/usage" and push[3]["used"] == "41,0 GB"


async def test_push_switched_off_sends_only_the_sms(session):
    aw, user = await _subscribed(session)
    await set_alert_switches(session, user, {}, NOW, channels={"push": False})
    await session.commit()
    await _cross(session, aw)
    assert [channel for channel, *_ in await _sent(session)] == [Channel.sms]


async def test_sms_switched_off_sends_only_the_push(session):
    aw, user = await _subscribed(session)
    await set_alert_switches(session, user, {}, NOW, channels={"sms": False})
    await session.commit()
    await _cross(session, aw)
    assert [channel for channel, *_ in await _sent(session)] == [Channel.push]


async def test_the_alerts_page_shows_what_was_sent_and_saves_the_switches(client, session):
    aw, user = await _subscribed(session)
    await _cross(session, aw)
    await sign_in_web(client, aw.msisdn)
    page = await client.get("/alerts", headers=HTML)
    assert "Avvisi ricevuti" in page.text and "80% dei dati usato" in page.text
    saved = await client.post(
        "/alerts",
        data={"csrf_token": csrf_of(page.text), "channel.sms": "on", "kind.data_80": "on"},
    )
    assert saved.status_code == 303
    assert await alert_channels(session, user) == {"in_app": False, "sms": True, "push": False}
    hidden = await client.get("/alerts", headers=HTML)
    assert "Avvisi ricevuti" not in hidden.text  # in-app switched off
    # The API's kinds know nothing of channels, and switching kinds keeps them.
    headers = await bearer(client, aw.msisdn)
    kinds = (await client.get("/api/v1/me/usage-alerts", headers=headers)).json()["kinds"]
    assert set(kinds) == {kind.value for kind in AlertKind}
    assert kinds["data_80"] is True and kinds["data_100"] is False
    await client.put("/api/v1/me/usage-alerts", headers=headers, json={"kinds": {"sms_80": True}})
    session.expire_all()
    user = await session.get(User, aw.user_id)
    assert await alert_channels(session, user) == {"in_app": False, "sms": True, "push": False}
