"""The invoices' pages: the list with filters, an invoice with its downloads and sharing."""

import re

from sqlalchemy import select

from linedesk.messaging.models import OutboxMessage
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web
from tests.invoices.conftest import ADMIN, OCTOBER, OUTSIDER, SEPTEMBER, invoice_of


def _rows(page_html: str) -> list[str]:
    return re.findall(r'<a href="/invoices/\d+">([^<]+)</a>', page_html)


async def test_the_list_shows_the_company_invoices_in_italian(client, session, invoice_world):
    await sign_in_web(client, ADMIN)
    page = await client.get("/invoices", headers=HTML)
    assert page.status_code == 200
    assert "<h1>Fatture</h1>" in page.text and "ott 2026" in page.text  # month in words
    assert len(_rows(page.text)) == 4
    assert "Da pagare" in page.text and "€" in page.text
    home = await client.get("/home", headers=HTML)
    assert re.search(r'<a href="/invoices">(<svg[^>]*>.*?</svg>)?Fatture</a>', home.text)  # menu


async def test_filters_and_pages_of_the_list(client, session, invoice_world):
    await sign_in_web(client, ADMIN)
    october = await client.get(
        "/invoices",
        headers=HTML,
        params={"billing_account": invoice_world.second_account, "period": "2026-10", "status": ""},
    )
    mine = await invoice_of(session, invoice_world.second_account, OCTOBER)
    assert _rows(october.text) == [mine.number]
    first = await client.get("/invoices", headers=HTML, params={"limit": 3})
    assert len(_rows(first.text)) == 3 and 'rel="next"' in first.text
    second = await client.get("/invoices", headers=HTML, params={"limit": 3, "offset": 3})
    assert len(_rows(second.text)) == 1 and 'rel="prev"' in second.text
    assert "4–4 di 4" in second.text


async def test_the_list_in_english(client, invoice_world):
    await sign_in_web(client, ADMIN)
    page = await client.get("/invoices?lang=en", headers=HTML)
    assert "<h1>Invoices</h1>" in page.text and "Oct 2026" in page.text  # month in words
    assert "To be paid" in page.text


async def test_an_invoice_page_offers_downloads_and_sharing(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], SEPTEMBER)
    await sign_in_web(client, ADMIN)
    page = await client.get(f"/invoices/{invoice.id}", headers=HTML)
    assert page.status_code == 200
    assert f"Fattura {invoice.number}" in page.text
    assert f'href="/api/v1/invoices/{invoice.id}/pdf"' in page.text
    assert f'href="/api/v1/invoices/{invoice.id}/xml"' in page.text
    assert "data-share-pdf" in page.text and ">Condividi</a>" in page.text
    assert "invoice-share.js" in page.text
    for number in invoice_world.company["numbers"]:
        assert number in page.text
    pdf = await client.get(f"/api/v1/invoices/{invoice.id}/pdf")  # the link, with the cookie
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


async def test_sharing_from_the_page_queues_the_email(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    await sign_in_web(client, ADMIN)
    page = await client.get(f"/invoices/{invoice.id}", headers=HTML)
    response = await client.post(
        f"/invoices/{invoice.id}/share",
        headers=HTML,
        data={"csrf_token": csrf_of(page.text), "email": "commercialista@example.it"},
    )
    assert response.status_code == 303
    shown = await client.get(response.headers["location"], headers=HTML)
    assert "sta per essere inviata a commercialista@example.it" in shown.text
    [message] = (await session.scalars(select(OutboxMessage))).all()
    assert message.recipient == "commercialista@example.it"
    assert message.attachments[0]["kind"] == "invoice_pdf"


async def test_a_wrong_address_shows_the_form_again(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    await sign_in_web(client, ADMIN)
    page = await client.get(f"/invoices/{invoice.id}", headers=HTML)
    response = await client.post(
        f"/invoices/{invoice.id}/share",
        headers=HTML,
        data={"csrf_token": csrf_of(page.text), "email": "nowhere"},
    )
    assert response.status_code == 422
    assert 'value="nowhere"' in response.text
    assert (await session.scalars(select(OutboxMessage))).all() == []


async def test_employees_and_other_companies_are_kept_out(client, session, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    await sign_in_web(client, invoice_world.employee)
    assert (await client.get("/invoices", headers=HTML)).status_code == 403
    assert (await client.get(f"/invoices/{invoice.id}", headers=HTML)).status_code == 403
    client.cookies.clear()
    await sign_in_web(client, OUTSIDER)
    assert (await client.get(f"/invoices/{invoice.id}", headers=HTML)).status_code == 404
    page = await client.get("/invoices", headers=HTML)
    assert invoice.number not in page.text and len(_rows(page.text)) == 2
