"""Large bank files (issue 12 §5): 40,000 rows import (in chunked queries), a file past
LINEDESK_UPLOAD_MAX_BYTES is refused with 413 before it is read whole."""

from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import func, select, update

from linedesk.billing.models import Invoice
from linedesk.payments.models import Payment
from tests.payments.conftest import Invoiced

URL = "/api/v1/backoffice/payments/import"
HEADER = "reference;invoice_number;amount;paid_at\n"


async def test_a_file_of_40000_payments_imports(backoffice, session, invoiced: Invoiced):
    """Today's answer was a 503 "briefly unavailable" on PostgreSQL: 40,000 references in one
    query exceed the driver's bind-parameter limit, which no retry could cure."""
    await session.execute(update(Invoice).values(total_amount=Decimal("1000000.00")))
    await session.commit()
    rows = "".join(f"BULK-{n};{invoiced.number};0,01;2026-11-21\n" for n in range(40_000))
    response = await backoffice.post(
        URL, content=HEADER + rows, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 40_000, "already_recorded": 0, "invoices_paid": 0}
    assert await session.scalar(select(func.sum(Payment.amount))) == Decimal("400.00")


async def test_a_streamed_file_past_the_limit_is_refused_before_it_is_read_whole(
    app, backoffice, session, invoiced: Invoiced
):
    limit = 64 * 1024
    app.state.settings = app.state.settings.model_copy(update={"upload_max_bytes": limit})
    row = f"BIG-1;{invoiced.number};0,01;2026-11-21\n".encode() * 100
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield HEADER.encode()
        for _ in range(100_000):  # 400 MB if it were all read
            sent += len(row)
            yield row

    response = await backoffice.post(URL, content=endless(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert sent <= limit + len(row)
    assert await session.scalar(select(func.count()).select_from(Payment)) == 0
