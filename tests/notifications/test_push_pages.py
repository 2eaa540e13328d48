"""Push from the pages: the control carries the server's VAPID key, the browser's
subscription is stored by a form post, and a pushed notification says which page to open."""

import base64
import json
import re

from sqlalchemy import select

from linedesk.billing.models import Invoice
from linedesk.messaging.channels.webpush import public_key_of, vapid_public_key
from linedesk.messaging.models import Channel, PushSubscription
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web
from tests.notifications.conftest import Managers, bill_october, outbox
from tests.notifications.test_api import PREFS, SUBSCRIPTION


def key_of(page: str) -> str:
    found = re.search(r'data-key="([A-Za-z0-9_-]+)"', page)
    assert found, "no push control on the page"
    return found[1]


def point(key: str) -> bytes:
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))


async def test_the_preferences_offer_push_with_the_servers_key(client, settings, managers):
    await sign_in_web(client, "anna")
    page = await client.get("/notifications/preferences", headers=HTML)
    key = key_of(page.text)
    raw = point(key)
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point
    assert key == vapid_public_key(settings)
    assert "Attiva le notifiche push su questo browser" in page.text
    assert '<script src="/static/push.js" defer></script>' in page.text
    api = await client.get("/api/v1/push/key")
    assert api.json() == {"public_key": key}


def test_a_configured_key_pair_gives_its_own_public_key(settings):
    from linedesk.messaging.channels.webpush import generate_vapid_keys

    private, public = generate_vapid_keys()
    assert public_key_of(private) == public
    configured = settings.model_copy(update={"vapid_private_key": private})
    assert vapid_public_key(configured) == public


async def test_the_page_stores_the_browsers_subscription_and_pushes_go_to_it(
    client, session, managers: Managers
):
    await sign_in_web(client, "anna")
    page = await client.get("/notifications/preferences", headers=HTML)
    form = {
        "endpoint": SUBSCRIPTION["endpoint"],
        "p256dh": SUBSCRIPTION["keys"]["p256dh"],
        "auth": SUBSCRIPTION["keys"]["auth"],
    }
    refused = await client.post("/push-subscriptions", data=form)
    assert refused.status_code == 403  # no CSRF token
    bad = await client.post(
        "/push-subscriptions", data=form | {"endpoint": "nope", "csrf_token": csrf_of(page.text)}
    )
    assert bad.status_code == 422
    stored = await client.post(
        "/push-subscriptions", data=form | {"csrf_token": csrf_of(page.text)}
    )
    assert stored.status_code == 204
    [row] = await session.scalars(select(PushSubscription))
    assert row.user_id == managers.admin and row.endpoint == SUBSCRIPTION["endpoint"]

    await client.post(
        "/notifications/preferences",
        data={
            "csrf_token": csrf_of(page.text),
            "invoice_issued.in_app": "on",
            "invoice_issued.push": "on",
        },
    )
    await bill_october(session)
    push = (await outbox(session, Channel.push))[0]
    assert json.loads(push.recipient)["endpoint"] == SUBSCRIPTION["endpoint"]
    pushes = await outbox(session, Channel.push)
    invoice_ids = set(
        await session.scalars(
            select(Invoice.id).where(Invoice.company_id == managers.world.company_id)
        )
    )
    # each invoice's push opens that invoice
    assert {p.payload["url"] for p in pushes} == {f"/invoices/{i}" for i in invoice_ids}


async def test_an_employee_subscribes_from_the_usage_alerts_page(client, session, managers):
    await sign_in_web(client, managers.world.numbers["mobile"])
    page = await client.get("/alerts", headers=HTML)
    assert page.status_code == 200
    assert key_of(page.text)
    stored = await client.post(
        "/push-subscriptions",
        data={
            "csrf_token": csrf_of(page.text),
            "endpoint": SUBSCRIPTION["endpoint"],
            "p256dh": SUBSCRIPTION["keys"]["p256dh"],
            "auth": SUBSCRIPTION["keys"]["auth"],
        },
    )
    assert stored.status_code == 204
    [row] = await session.scalars(select(PushSubscription))
    assert row.user_id == managers.employee


async def test_the_api_takes_an_employees_subscription_too(client, managers):
    from tests.notifications.conftest import headers_of

    employee = await headers_of(client, managers.world.numbers["mobile"])
    stored = await client.post("/api/v1/me/push-subscriptions", headers=employee, json=SUBSCRIPTION)
    assert stored.status_code == 201
    assert (await client.get(PREFS, headers=employee)).status_code == 403  # managers' only
