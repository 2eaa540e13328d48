"""The managers' invoice API (R-M1): list with filters and paging, detail, documents, share;
employees are refused, and another company's invoices do not exist for the caller."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from linedesk.billing.fatturapa import validate
from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.messaging.models import OutboxMessage
from tests.identity.helpers import bearer
from tests.invoices.conftest import ADMIN, OCTOBER, OUTSIDER, SEPTEMBER, invoice_of

pytestmark = pytest.mark.usefixtures("invoice_world")


def _endpoints(invoice_id: int) -> list[tuple[str, str, dict | None]]:
    base = f"/api/v1/invoices/{invoice_id}"
    return [
        ("GET", "/api/v1/invoices", None),
        ("GET", base, None),
        ("GET", f"{base}/pdf", None),
        ("GET", f"{base}/xml", None),
        ("POST", f"{base}/share", {"email": "commercialista@example.it"}),
    ]


async def test_a_manager_lists_the_company_invoices_newest_first(client, invoice_world):
    headers = await bearer(client, ADMIN)
    response = await client.get("/api/v1/invoices", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["X-Total-Count"] == "4"
    body = response.json()
    assert [item["period"] for item in body] == ["2026-10", "2026-10", "2026-09", "2026-09"]
    assert {item["billing_account"] for item in body} == {
        invoice_world.company["account"],
        invoice_world.second_account,
    }
    first = body[0]
    assert first["total_amount"]["currency"] == "EUR"
    total = (
        Decimal(first["taxable_amount"]["amount"])
        + Decimal(first["vat_amount"]["amount"])
        + Decimal(first["exempt_amount"]["amount"])
    )
    assert Decimal(first["total_amount"]["amount"]) == total
    assert first["status"] == "issued" and "lines" not in first


async def test_filters_by_billing_account_period_and_status(client, session, invoice_world):
    headers = await bearer(client, ADMIN)
    paid = await invoice_of(session, invoice_world.second_account, SEPTEMBER)
    await session.execute(
        update(Invoice).where(Invoice.id == paid.id).values(status=InvoiceStatus.paid)
    )
    await session.commit()

    async def numbers(**params: str) -> list[str]:
        response = await client.get("/api/v1/invoices", headers=headers, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == str(len(response.json()))
        return [item["number"] for item in response.json()]

    by_account = await numbers(billing_account=invoice_world.second_account)
    assert len(by_account) == 2
    assert len(await numbers(period="2026-10")) == 2
    assert await numbers(status="paid") == [paid.number]
    assert await numbers(
        billing_account=invoice_world.second_account, period="2026-09", status="paid"
    ) == [paid.number]
    assert await numbers(period="2025-01") == []
    assert await numbers(billing_account=invoice_world.other["account"]) == []


async def test_bad_filters_are_refused(client):
    headers = await bearer(client, ADMIN)
    for params in ({"period": "2026-13"}, {"period": "october"}, {"status": "lost"}):
        response = await client.get("/api/v1/invoices", headers=headers, params=params)
        assert response.status_code == 422, params


async def test_pages_of_the_list(client):
    headers = await bearer(client, ADMIN)
    everything = (await client.get("/api/v1/invoices", headers=headers)).json()
    pages = []
    for offset in (0, 1, 2, 3, 4):
        response = await client.get(
            "/api/v1/invoices", headers=headers, params={"offset": offset, "limit": 1}
        )
        assert response.headers["X-Total-Count"] == "4"
        pages.extend(response.json())
    assert [item["id"] for item in pages] == [item["id"] for item in everything]


async def test_an_invoice_with_its_lines(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    response = await client.get(
        f"/api/v1/invoices/{invoice.id}", headers=await bearer(client, ADMIN)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["number"] == invoice.number
    lines = body["lines"]
    assert [line["position"] for line in lines] == list(range(1, len(lines) + 1))
    assert {line["msisdn"] for line in lines} == set(invoice_world.company["numbers"])
    assert {line["kind"] for line in lines} == {"fee", "out_of_bundle", "concession_tax"}
    tax = next(line for line in lines if line["kind"] == "concession_tax")
    assert tax["amount"] == {"amount": "12.91", "currency": "EUR"}
    assert tax["vat_nature"] == "N1"
    assert (
        sum(Decimal(line["amount"]["amount"]) for line in lines)
        == invoice.taxable_amount + invoice.exempt_amount
    )


async def test_the_pdf_download_is_named_after_the_invoice(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    response = await client.get(
        f"/api/v1/invoices/{invoice.id}/pdf", headers=await bearer(client, ADMIN)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    name = f"fattura-{invoice.number.replace('/', '-')}.pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.content.startswith(b"%PDF-")


async def test_the_xml_download_is_valid_fatturapa(client, session, invoice_world):
    headers = await bearer(client, ADMIN)
    for account in (invoice_world.company["account"], invoice_world.second_account):
        invoice = await invoice_of(session, account, OCTOBER)
        response = await client.get(f"/api/v1/invoices/{invoice.id}/xml", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        assert response.headers["content-disposition"].endswith('.xml"')
        validate(response.content)
        assert invoice.number.encode() in response.content


async def test_sharing_queues_an_email_with_the_pdf_by_reference(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    response = await client.post(
        f"/api/v1/invoices/{invoice.id}/share",
        headers=await bearer(client, ADMIN),
        json={"email": "commercialista@example.it"},
    )
    assert response.status_code == 202, response.text
    [message] = (await session.scalars(select(OutboxMessage))).all()
    assert response.json() == {"email": "commercialista@example.it", "message_id": message.id}
    assert (message.template, message.language) == ("invoice_share", "it")
    assert message.attachments == [
        {"kind": "invoice_pdf", "invoice_id": invoice.id, "company_id": invoice.company_id}
    ]
    assert message.payload["number"] == invoice.number


async def test_sharing_needs_an_email_address(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    response = await client.post(
        f"/api/v1/invoices/{invoice.id}/share",
        headers=await bearer(client, ADMIN),
        json={"email": "not an address"},
    )
    assert response.status_code == 422
    assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_an_employee_gets_403_on_every_invoice_endpoint(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    headers = await bearer(client, invoice_world.employee)
    for method, path, body in _endpoints(invoice.id):
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "managers_only"


async def test_another_company_invoice_is_404_everywhere(client, session, invoice_world):
    theirs = await invoice_of(session, invoice_world.other["account"], OCTOBER)
    headers = await bearer(client, ADMIN)
    for method, path, body in _endpoints(theirs.id)[1:]:
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    mine = await client.get("/api/v1/invoices", headers=await bearer(client, OUTSIDER))
    assert [item["number"] for item in mine.json()] == [
        (await invoice_of(session, invoice_world.other["account"], period)).number
        for period in (OCTOBER, SEPTEMBER)
    ]
    assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_without_signing_in_it_is_401(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    for method, path, body in _endpoints(invoice.id):
        assert (await client.request(method, path, json=body)).status_code == 401, path
