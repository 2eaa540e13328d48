"""The invoices' operations for managers: read an invoice's documents, share it by e-mail.

Sharing queues the e-mail in the caller's transaction with the PDF attached by reference
(kind `invoice_pdf`): the worker renders the PDF when it sends, so the outbox never stores
documents and the recipient gets the same bytes as the download."""

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.fatturapa import invoice_xml, xml_file_name
from linedesk.billing.models import Invoice
from linedesk.config import Settings
from linedesk.errors import found
from linedesk.identity.principal import Principal
from linedesk.invoices.pdf import InvoiceDocument, pdf_file_name, render_pdf
from linedesk.invoices.repository import InvoiceRepository
from linedesk.kit.i18n import Localizer
from linedesk.kit.ratelimit import RateLimiter, Rule
from linedesk.kit.repository import Scope
from linedesk.messaging.attachments import Attachment, Loader, Sources
from linedesk.messaging.models import Channel, OutboxMessage
from linedesk.messaging.service import enqueue
from linedesk.messaging.templates import LANGUAGES

INVOICE_PDF = "invoice_pdf"
SHARE_TEMPLATE = "invoice_share"
# A manager shares a few invoices; more than this looks like someone using us to send mail.
SHARES_PER_USER = Rule.parse("invoice_share_user", "20 per hour; 100 per day")


async def find_invoice(session: AsyncSession, scope: Scope, invoice_id: int) -> Invoice:
    """The invoice if the scope may read it; another company's is as absent as a missing one."""
    invoice = found(await InvoiceRepository(session, scope).get(invoice_id), "No such invoice")
    return invoice


async def load_document(session: AsyncSession, scope: Scope, invoice_id: int) -> InvoiceDocument:
    repository = InvoiceRepository(session, scope)
    invoice = await find_invoice(session, scope, invoice_id)
    return InvoiceDocument(
        invoice=invoice,
        lines=await repository.lines(invoice),
        company=await repository.company(invoice),
        account=await repository.account(invoice),
    )


async def invoice_pdf(
    session: AsyncSession, scope: Scope, invoice_id: int, settings: Settings
) -> tuple[bytes, str]:
    """The courtesy copy and its file name (`fattura-2026-000123.pdf`)."""
    document = await load_document(session, scope, invoice_id)
    return render_pdf(document, settings), pdf_file_name(document.invoice)


async def invoice_fatturapa(
    session: AsyncSession, scope: Scope, invoice_id: int, settings: Settings
) -> tuple[bytes, str]:
    """The FatturaPA XML and the file name the SdI would give it."""
    invoice = await find_invoice(session, scope, invoice_id)
    return await invoice_xml(session, invoice, settings), xml_file_name(invoice, settings)


def _share_payload(document: InvoiceDocument, sender: str, lang: str) -> dict[str, Any]:
    invoice = document.invoice
    l10n = Localizer(lang)
    return {
        "number": invoice.number,
        "company": document.company.name,
        "billing_account": document.account.code,
        "period": l10n.date(invoice.period, "LLLL yyyy"),
        "total": l10n.money(invoice.total_amount, invoice.currency),
        "due_date": l10n.date(invoice.due_date),
        "sender": sender,
        "file_name": pdf_file_name(invoice),
    }


async def share_invoice(
    session: AsyncSession,
    principal: Principal,
    limiter: RateLimiter,
    invoice_id: int,
    email: str,
    now: datetime,
) -> OutboxMessage:
    """Queue an e-mail to `email` with the invoice's PDF, in the sharer's language."""
    document = await load_document(session, principal.scope, invoice_id)
    await limiter.hit(SHARES_PER_USER, str(principal.user.id))
    lang = principal.user.language if principal.user.language in LANGUAGES else "it"
    reference = {
        "kind": INVOICE_PDF,
        "invoice_id": document.invoice.id,
        "company_id": document.invoice.company_id,
    }
    return await enqueue(
        session,
        Channel.email,
        email,
        SHARE_TEMPLATE,
        lang,
        _share_payload(document, principal.user.username, lang),
        now=now,
        attachments=[reference],
        company_id=document.invoice.company_id,
    )


def invoice_pdf_loader(settings: Settings) -> Loader:
    """The outbox's loader of invoice PDFs, registered by whoever assembles a worker: it
    renders the PDF from the worker's own database sessions."""

    async def load(reference: dict[str, Any], sources: Sources) -> Attachment:
        async with sources.sessionmaker() as session:
            document = await load_document(
                session, Scope.company(reference["company_id"]), reference["invoice_id"]
            )
        content = await asyncio.to_thread(render_pdf, document, settings)
        return Attachment(
            filename=pdf_file_name(document.invoice),
            content_type="application/pdf",
            content=content,
        )

    return load
