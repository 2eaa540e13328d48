"""Payments arriving at once: an invoice is never paid more than its total, and the ones too
late get the one error shape, never a 500 (issue 12 §1)."""

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from linedesk.payments.models import Payment
from tests.payments.conftest import Invoiced

URL = "/api/v1/backoffice/payments"
AT_ONCE = 20


async def _paid(session) -> Decimal:  # type: ignore[no-untyped-def]
    return Decimal(await session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))))


async def test_twenty_payments_in_full_at_once_pay_the_invoice_once(
    backoffice, session, invoiced: Invoiced
):
    payments = [
        {
            "reference": f"RACE-{n}",
            "invoice_number": invoiced.number,
            "amount": f"{invoiced.total:.2f}",
            "paid_at": "2026-11-25T10:00:00+01:00",
        }
        for n in range(AT_ONCE)
    ]
    responses = await asyncio.gather(*(backoffice.post(URL, json=p) for p in payments))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [422] * (AT_ONCE - 1), [r.text for r in responses]
    for response in responses:
        if response.status_code == 422:
            error = response.json()["error"]
            assert error["code"] == "validation_error"
            assert error["details"] == [
                {"field": "amount", "reason": "more than the 0.00 EUR still due"}
            ]
    assert await _paid(session) == invoiced.total
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_bank_files_at_once_never_pay_more_than_is_due(
    backoffice, session, invoiced: Invoiced
):
    """Each file pays the whole invoice in two rows; only one of the files can be recorded."""
    half = (invoiced.total / 2).quantize(Decimal("0.01"))
    files = [
        (
            "reference,invoice_number,amount,paid_at\n"
            f"FILE-{n}-A,{invoiced.number},{half},2026-11-21\n"
            f"FILE-{n}-B,{invoiced.number},{invoiced.total - half},2026-11-21\n"
        )
        for n in range(AT_ONCE)
    ]
    responses = await asyncio.gather(
        *(
            backoffice.post(f"{URL}/import", content=text, headers={"Content-Type": "text/csv"})
            for text in files
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [422] * (AT_ONCE - 1), [r.text for r in responses]
    rejected = [r.json()["error"] for r in responses if r.status_code == 422]
    assert {e["code"] for e in rejected} == {"import_rejected"}
    assert await _paid(session) == invoiced.total


async def test_the_same_payment_sent_twenty_times_at_once_is_recorded_once(
    backoffice, session, invoiced: Invoiced
):
    payment = {
        "reference": "SAME-1",
        "invoice_number": invoiced.number,
        "amount": "1.00",
        "paid_at": "2026-11-25T10:00:00+01:00",
    }
    responses = await asyncio.gather(*(backoffice.post(URL, json=payment) for _ in range(AT_ONCE)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (AT_ONCE - 1) + [201], [r.text for r in responses]
    assert all(r.json()["already_recorded"] for r in responses if r.status_code == 200)
    assert await _paid(session) == Decimal("1.00")
