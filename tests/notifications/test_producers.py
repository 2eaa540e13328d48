"""Each kind is produced once, to every active manager of the company and no one else."""

from datetime import timedelta

from sqlalchemy import func, select

from linedesk.billing.models import Invoice
from linedesk.jobs import run_due_dates
from linedesk.messaging.models import Channel
from linedesk.notifications.models import NotificationEvent, NotificationKind
from linedesk.notifications.service import notify_due_dates, notify_invoices_issued
from tests.conftest import NOW
from tests.notifications.conftest import (
    DUE,
    Managers,
    bill_october,
    notifications_of,
    outbox,
)


def _kinds(items) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.kind.value for n in items]


async def test_a_new_invoice_is_told_once_to_each_active_manager(session, managers: Managers):
    await bill_october(session)
    await bill_october(session)  # the month again: nothing new
    invoice_ids = list(await session.scalars(select(Invoice.id)))
    assert await notify_invoices_issued(session, NOW, invoice_ids) == 0
    await session.commit()
    for user_id in (managers.admin, managers.telco):
        (notification,) = await notifications_of(session, user_id)
        assert notification.kind is NotificationKind.invoice_issued
        assert notification.params["number"] == "2026/000001"
        assert notification.read_at is None
    assert await notifications_of(session, managers.employee) == []
    (theirs,) = await notifications_of(session, managers.other_admin)  # their own invoice
    assert theirs.params["number"] != "2026/000001"
    emails = await outbox(session, Channel.email)
    assert sorted(m.recipient for m in emails) == [
        "anna@example.it",
        "marco@example.it",
        "olga@example.it",
    ]
    assert {m.template for m in emails} == {"notification_invoice_issued"}


async def test_due_dates_each_told_once_however_often_the_job_runs(session, managers):
    await bill_october(session)
    week_before, day_before = DUE - timedelta(days=7), DUE - timedelta(days=1)
    timeline = [
        (DUE - timedelta(days=8), []),
        (week_before, ["due_in_7_days"]),
        (week_before, []),
        (week_before + timedelta(days=2), []),
        (day_before, ["due_tomorrow"]),
        (day_before, []),
        (DUE, []),
        (DUE + timedelta(days=1), ["overdue"]),
        (DUE + timedelta(days=2), []),
    ]
    for now, expected in timeline:
        counts = await notify_due_dates(session, now)
        assert [kind for kind, n in counts.items() if n] == expected, now
    await session.commit()
    assert _kinds(await notifications_of(session, managers.admin)) == [
        "invoice_issued",
        "due_in_7_days",
        "due_tomorrow",
        "overdue",
    ]
    events = await session.scalar(select(func.count()).select_from(NotificationEvent))
    assert events == 2 * 4  # two companies, one invoice each, four kinds


async def test_the_daily_job_marks_overdue_then_tells(session, managers):
    await bill_october(session)
    first = await run_due_dates(session, DUE + timedelta(days=1))
    second = await run_due_dates(session, DUE + timedelta(days=1))
    assert first.overdue == 2 and first.notices["overdue"] == 2  # both companies
    assert second.overdue == 0 and second.notices["overdue"] == 0


async def test_a_paid_invoice_gets_no_due_date_notices(session, backoffice, managers):
    await bill_october(session)
    invoice = await session.scalar(select(Invoice))
    assert invoice is not None
    await backoffice.post(
        "/api/v1/backoffice/payments",
        json={
            "reference": "P-1",
            "invoice_number": invoice.number,
            "amount": str(invoice.total_amount),
            "paid_at": "2026-11-21T10:00:00Z",
        },
    )
    for days in (7, 1, -3):
        await notify_due_dates(session, DUE - timedelta(days=days))
    kinds = await session.scalars(
        select(NotificationEvent.kind).where(NotificationEvent.invoice_id == invoice.id)
    )
    assert list(kinds) == [NotificationKind.invoice_issued]


async def test_a_billing_account_change_is_told_with_what_changed(
    session, backoffice, managers, mailbox
):
    account = (await backoffice.get("/api/v1/backoffice/billing-accounts")).json()[0]
    url = f"/api/v1/backoffice/billing-accounts/{account['code']}"
    response = await backoffice.patch(
        url,
        json={
            "payment_method": "sepa_direct_debit",
            "iban": "IT60X0542811101000000123456",
            "address_city": "Modena",
            "invoice_email": "fatture@example.it",
        },
    )  # e-mail unchanged
    assert response.status_code == 200, response.text
    assert response.json()["address_city"] == "Modena"
    same = await backoffice.patch(url, json={"address_city": "Modena"})
    assert same.status_code == 200
    (notification,) = await notifications_of(session, managers.admin)
    assert notification.kind is NotificationKind.billing_account_changed
    assert notification.params["changes"] == ["payment_method", "address"]
    (email,) = await mailbox("anna@example.it")
    assert account["code"] in email["subject"]
    assert "metodo di pagamento, indirizzo" in email["text"]


async def test_a_billing_account_change_is_validated_like_its_creation(backoffice, managers):
    account = (await backoffice.get("/api/v1/backoffice/billing-accounts")).json()[0]
    url = f"/api/v1/backoffice/billing-accounts/{account['code']}"
    no_iban = await backoffice.patch(url, json={"payment_method": "sepa_direct_debit"})
    bad = await backoffice.patch(url, json={"iban": "IT00X", "address_province": "Bologna"})
    empty = await backoffice.patch(url, json={})
    unknown = await backoffice.patch(
        "/api/v1/backoffice/billing-accounts/NOPE", json={"address_city": "Modena"}
    )
    assert (no_iban.status_code, bad.status_code, empty.status_code, unknown.status_code) == (
        422,
        422,
        422,
        404,
    )
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert {"iban", "address_province"} <= fields
