"""The PDF courtesy copy: what a reader finds in it, read back from the PDF's text."""

import io

from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice
from linedesk.config import Settings
from linedesk.invoices.pdf import money, render_pdf
from linedesk.invoices.service import load_document
from linedesk.kit.repository import Scope
from tests.invoices.conftest import OCTOBER, invoice_of


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def _pdf(session: AsyncSession, invoice: Invoice, settings: Settings) -> bytes:
    document = await load_document(session, Scope.company(invoice.company_id), invoice.id)
    return render_pdf(document, settings)


async def test_the_pdf_shows_number_total_and_every_line(session, settings, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    text = _text(await _pdf(session, invoice, settings))
    assert f"Numero: {invoice.number}" in text
    assert f"Totale da pagare: {money(invoice.total_amount)}" in text
    assert money(invoice.total_amount).endswith(" €")
    for number in invoice_world.company["numbers"]:
        assert f"Linea {number}" in text
    assert "Tassa di concessione governativa" in text and "N1" in text
    assert "Servizi di telecomunicazione" in text and "22%" in text
    assert f"Scadenza: {invoice.due_date:%d/%m/%Y}" in text
    assert "bonifico bancario" in text and settings.operator_iban in text
    assert "Rossi Impianti S.r.l." in text and invoice_world.company["account"] in text
    assert "ottobre 2026" in text


async def test_a_direct_debit_account_shows_its_masked_iban(session, settings, invoice_world):
    invoice = await invoice_of(session, invoice_world.second_account, OCTOBER)
    text = _text(await _pdf(session, invoice, settings))
    assert "addebito diretto SEPA" in text and "IT60 **** **** 3456" in text
    assert f"Linea {invoice_world.second_number}" in text


async def test_the_same_invoice_gives_the_same_bytes(session, settings, invoice_world):
    invoice = await invoice_of(session, invoice_world.company["account"], OCTOBER)
    assert await _pdf(session, invoice, settings) == await _pdf(session, invoice, settings)
