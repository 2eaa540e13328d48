"""The notification centre over the API: preferences per channel, push, read and unread."""

import asyncio
import json

from linedesk.messaging.models import Channel
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web
from tests.notifications.conftest import (
    Managers,
    bill_october,
    headers_of,
    notifications_of,
    outbox,
)

PREFS = "/api/v1/me/notification-preferences"
SUBSCRIPTION = {
    "endpoint": "https://push.example.net/send/abc123",
    "keys": {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0"
        "VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    },
}


async def test_preferences_default_to_everything_but_push(client, managers: Managers):
    response = await client.get(PREFS, headers=await headers_of(client, "anna"))
    assert response.status_code == 200
    assert response.json()["overdue"] == {"in_app": True, "email": True, "push": False}
    assert set(response.json()) == {
        "invoice_issued",
        "due_in_7_days",
        "due_tomorrow",
        "overdue",
        "billing_account_changed",
        "spending_cap_warning",
        "spending_cap_reached",
        "line_blocked",
    }


async def test_preferences_are_honoured_per_channel(client, session, managers, mailbox):
    anna, marco = await headers_of(client, "anna"), await headers_of(client, "marco")
    off = await client.put(PREFS, headers=anna, json={"invoice_issued": {"email": False}})
    assert off.json()["invoice_issued"] == {"in_app": True, "email": False, "push": False}
    await client.put(PREFS, headers=marco, json={"invoice_issued": {"in_app": False}})
    await bill_october(session)
    assert len(await notifications_of(session, managers.admin)) == 1
    assert await notifications_of(session, managers.telco) == []
    assert await mailbox("anna@example.it") == []
    (email,) = await mailbox("marco@example.it")
    assert email["subject"] == "Nuova fattura 2026/000001"
    assert "98,89" in email["text"]


async def test_a_push_subscription_gets_the_pushes(client, session, managers):
    anna = await headers_of(client, "anna")
    stored = await client.post("/api/v1/me/push-subscriptions", headers=anna, json=SUBSCRIPTION)
    assert stored.status_code == 201 and stored.json()["endpoint"] == SUBSCRIPTION["endpoint"]
    again = await client.post(
        "/api/v1/me/push-subscriptions", headers=anna, json=SUBSCRIPTION
    )  # the same browser: still one
    assert again.json()["id"] == stored.json()["id"]
    await client.put(PREFS, headers=anna, json={"invoice_issued": {"push": True}})
    await bill_october(session)
    (push,) = await outbox(session, Channel.push)
    assert json.loads(push.recipient) == {
        "endpoint": SUBSCRIPTION["endpoint"],
        "keys": SUBSCRIPTION["keys"],
    }
    assert push.template == "notification_invoice_issued" and push.language == "it"


async def test_a_bad_push_subscription_is_refused(client, managers):
    response = await client.post(
        "/api/v1/me/push-subscriptions",
        headers=await headers_of(client, "anna"),
        json={"endpoint": "not a url", "keys": {}},
    )
    assert response.status_code == 422


async def test_read_and_unread(client, session, backoffice, managers):
    await bill_october(session)
    account = (await backoffice.get("/api/v1/backoffice/billing-accounts")).json()[0]
    await backoffice.patch(
        f"/api/v1/backoffice/billing-accounts/{account['code']}", json={"address_city": "Imola"}
    )
    anna = await headers_of(client, "anna")
    listed = await client.get("/api/v1/notifications", headers=anna)
    assert listed.headers["X-Unread-Count"] == "2" and listed.headers["X-Total-Count"] == "2"
    newest, oldest = listed.json()
    assert newest["kind"] == "billing_account_changed" and oldest["kind"] == "invoice_issued"
    assert oldest["title"] == "Nuova fattura 2026/000001"
    read = await client.post(f"/api/v1/notifications/{oldest['id']}/read", headers=anna)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    count = await client.get("/api/v1/notifications/unread-count", headers=anna)
    assert count.json() == {"unread": 1}
    unread = await client.get("/api/v1/notifications", headers=anna, params={"unread": True})
    assert [n["id"] for n in unread.json()] == [newest["id"]]
    marked = await client.post("/api/v1/notifications/read-all", headers=anna)
    assert marked.json() == {"marked": 1, "unread": 0}
    marco = await client.get(
        "/api/v1/notifications/unread-count", headers=await headers_of(client, "marco")
    )
    assert marco.json() == {"unread": 2}  # each manager reads their own


async def test_employees_read_only_their_own_and_others_notifications_404(
    client, session, managers
):
    await bill_october(session)
    employee = await headers_of(client, managers.world.numbers["mobile"])
    assert (await client.get(PREFS, headers=employee)).status_code == 403
    listed = await client.get("/api/v1/notifications", headers=employee)
    assert listed.status_code == 200 and listed.json() == []  # the invoice is the managers'
    count = await client.get("/api/v1/notifications/unread-count", headers=employee)
    assert count.json() == {"unread": 0}
    (theirs,) = await notifications_of(session, managers.other_admin)
    response = await client.post(
        f"/api/v1/notifications/{theirs.id}/read", headers=await headers_of(client, "anna")
    )
    assert response.status_code == 404


async def test_the_pages_show_and_mark_read(client, session, managers):
    await bill_october(session)
    await sign_in_web(client, "anna")
    page = await client.get("/notifications", headers=HTML)
    assert page.status_code == 200 and "Nuova fattura 2026/000001" in page.text
    (notification,) = await notifications_of(session, managers.admin)
    done = await client.post(
        f"/notifications/{notification.id}/read",
        headers=HTML,
        data={"csrf_token": csrf_of(page.text)},
    )
    assert done.status_code == 303
    assert "Segna come letta" not in (await client.get("/notifications", headers=HTML)).text
    prefs = await client.get("/notifications/preferences", headers=HTML)
    assert prefs.status_code == 200 and 'name="overdue.push"' in prefs.text
    saved = await client.post(
        "/notifications/preferences",
        headers=HTML,
        data={"csrf_token": csrf_of(prefs.text), "overdue.in_app": "on"},
    )
    assert saved.status_code == 303
    api = await client.get(PREFS, headers=await headers_of(client, "anna"))
    assert api.json()["overdue"] == {"in_app": True, "email": False, "push": False}
    assert api.json()["due_tomorrow"] == {"in_app": False, "email": False, "push": False}


async def test_the_cli_runs_the_daily_job(cli_env, session, managers):
    from typer.testing import CliRunner

    from linedesk.cli import app

    await bill_october(session)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["notifications", "due-dates"])
    assert result.exit_code == 0, result.output
    assert "Invoices now overdue" in result.output
