"""/me/usage-alerts: every kind on by default, switched one by one, kept per user."""

from sqlalchemy import select

from linedesk.usage.models import AlertKind, UsagePreferences
from tests.alerts.helpers import alert_world
from tests.identity.helpers import bearer

URL = "/api/v1/me/usage-alerts"


async def test_every_alert_is_on_until_switched_off(session, client):
    aw = await alert_world(session)
    headers = await bearer(client, aw.msisdn)
    response = await client.get(URL, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"kinds": {kind.value: True for kind in AlertKind}}

    off = await client.put(
        URL, headers=headers, json={"kinds": {"low_credit": False, "data_80": False}}
    )
    assert off.status_code == 200
    again = await client.put(URL, headers=headers, json={"kinds": {"data_80": True}})
    expected = {kind.value: kind is not AlertKind.low_credit for kind in AlertKind}
    assert again.json() == {"kinds": expected}
    assert (await client.get(URL, headers=headers)).json() == {"kinds": expected}
    stored = await session.scalar(
        select(UsagePreferences.alerts_off).where(UsagePreferences.user_id == aw.user_id)
    )
    assert stored == ["low_credit"]


async def test_the_widget_settings_in_the_same_row_are_left_alone(session, client):
    aw = await alert_world(session)
    session.add(
        UsagePreferences(
            user_id=aw.user_id,
            company_id=aw.line.company_id,
            alerts_off=[],
            widget_line_id=aw.line.id,
            pinned_links=["usage"],
            updated_at=aw.line.created_at,
        )
    )
    await session.commit()
    headers = await bearer(client, aw.msisdn)
    response = await client.put(URL, headers=headers, json={"kinds": {"sms_100": False}})
    assert response.status_code == 200
    line_id = aw.line.id
    session.expire_all()
    prefs = await session.get(UsagePreferences, aw.user_id)
    assert (prefs.alerts_off, prefs.widget_line_id, prefs.pinned_links) == (
        ["sms_100"],
        line_id,
        ["usage"],
    )


async def test_unknown_kinds_and_strangers_are_refused(session, client):
    aw = await alert_world(session)
    assert (await client.get(URL)).status_code == 401
    headers = await bearer(client, aw.msisdn)
    response = await client.put(URL, headers=headers, json={"kinds": {"data_90": False}})
    assert response.status_code == 422
