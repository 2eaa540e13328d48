"""Payments recorded one at a time and from a bank file; the invoice statuses they lead to."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from linedesk.billing.models import InvoiceStatus
from linedesk.payments.models import Payment
from linedesk.payments.service import update_statuses
from tests.billing.conftest import invoices
from tests.conftest import NOW
from tests.payments.conftest import Invoiced

URL = "/api/v1/backoffice/payments"


def _payment(
    invoiced: Invoiced, reference: str = "BANK-1", amount: str | None = None
) -> dict[str, str]:
    return {
        "reference": reference,
        "invoice_number": invoiced.number,
        "amount": amount or f"{invoiced.total:.2f}",
        "paid_at": "2026-11-25T10:00:00+01:00",
    }


async def _status(session) -> InvoiceStatus:  # type: ignore[no-untyped-def]
    (invoice,) = await invoices(session)
    return invoice.status


async def test_a_payment_in_full_makes_the_invoice_paid(backoffice, session, invoiced):
    response = await backoffice.post(URL, json=_payment(invoiced))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["invoice_status"] == "paid" and body["already_recorded"] is False
    assert body["amount"] == f"{invoiced.total:.2f}"
    assert await _status(session) is InvoiceStatus.paid


async def test_the_same_reference_again_records_nothing(backoffice, session, invoiced):
    await backoffice.post(URL, json=_payment(invoiced))
    again = await backoffice.post(URL, json=_payment(invoiced))
    assert again.status_code == 200 and again.json()["already_recorded"] is True
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_reference_reused_for_another_amount_is_a_conflict(backoffice, invoiced):
    await backoffice.post(URL, json=_payment(invoiced, amount="1.00"))
    response = await backoffice.post(URL, json=_payment(invoiced, amount="2.00"))
    assert response.status_code == 409


async def test_partial_payments_add_up(backoffice, session, invoiced):
    half = (invoiced.total / 2).quantize(Decimal("0.01"))
    first = await backoffice.post(URL, json=_payment(invoiced, "B-1", f"{half:.2f}"))
    assert first.json()["invoice_status"] == "issued"
    rest = invoiced.total - half
    second = await backoffice.post(URL, json=_payment(invoiced, "B-2", f"{rest:.2f}"))
    assert second.json()["invoice_status"] == "paid"


async def test_paying_more_than_is_due_or_an_unknown_invoice_is_refused(backoffice, invoiced):
    too_much = await backoffice.post(URL, json=_payment(invoiced, amount="99999.00"))
    assert too_much.status_code == 422 and "still due" in too_much.text
    unknown = await backoffice.post(
        URL, json=_payment(invoiced) | {"invoice_number": "2026/999999"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "invoice_number"


async def test_a_bank_file_is_recorded_and_can_be_sent_again(backoffice, session, invoiced):
    half = (invoiced.total / 2).quantize(Decimal("0.01"))
    rest = invoiced.total - half
    text = (
        "reference;invoice_number;amount;paid_at\n"
        f"SEPA-1;{invoiced.number};{str(half).replace('.', ',')};2026-11-21\n"
        f"SEPA-2;{invoiced.number};{rest};2026-11-22T09:00:00\n"
    )
    response = await backoffice.post(
        f"{URL}/import", content=text, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 2, "already_recorded": 0, "invoices_paid": 1}
    again = await backoffice.post(
        f"{URL}/import", content=text, headers={"Content-Type": "text/csv"}
    )
    assert again.json() == {"recorded": 0, "already_recorded": 2, "invoices_paid": 0}
    assert await _status(session) is InvoiceStatus.paid


async def test_a_file_with_bad_rows_records_nothing_and_names_them(backoffice, session, invoiced):
    text = (
        "reference,invoice_number,amount,paid_at\n"
        f"OK-1,{invoiced.number},1.00,2026-11-21\n"
        "BAD-1,2026/999999,1.00,2026-11-21\n"
        f"BAD-2,{invoiced.number},-5,2026-11-21\n"
        f"OK-1,{invoiced.number},1.00,2026-11-21\n"
    )
    response = await backoffice.post(
        f"{URL}/import", content=text, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    rows = {(d["row"], d.get("field")) for d in error["details"]}
    assert {(2, "reference"), (3, "invoice_number"), (4, "amount"), (5, "reference")} <= rows
    assert await session.scalar(select(func.count()).select_from(Payment)) == 0


async def test_unpaid_invoices_past_due_become_overdue_once(session, invoiced):
    assert await update_statuses(session, NOW + timedelta(days=30)) == 0  # due that day
    later = NOW + timedelta(days=31)
    assert await update_statuses(session, later) == 1
    assert await update_statuses(session, later) == 0
    await session.commit()
    assert await _status(session) is InvoiceStatus.overdue


async def test_an_overdue_invoice_paid_becomes_paid(backoffice, session, invoiced):
    await update_statuses(session, NOW + timedelta(days=40))
    await session.commit()
    response = await backoffice.post(URL, json=_payment(invoiced))
    assert response.json()["invoice_status"] == "paid"


async def test_the_cli_imports_a_file(cli_env, tmp_path, session, invoiced):
    import asyncio

    from typer.testing import CliRunner

    from linedesk.cli import app

    path = tmp_path / "bank.csv"
    path.write_text(
        "reference;invoice_number;amount;paid_at\n"
        f"CLI-1;{invoiced.number};{invoiced.total};2026-11-21\n"
    )
    result = await asyncio.to_thread(CliRunner().invoke, app, ["payments", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "recorded" in result.output
    assert await _status(session) is InvoiceStatus.paid
