"""The managers' invoice routes (R-M1): list, detail, PDF and FatturaPA XML, share by e-mail."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from linedesk.billing.models import InvoiceStatus
from linedesk.deps import ClockDep, LimiterDep, SessionDep, SettingsDep
from linedesk.identity.auth import Manager
from linedesk.invoices.repository import InvoiceFilters, InvoiceRepository
from linedesk.invoices.schemas import (
    InvoiceDetail,
    InvoiceLineRead,
    InvoiceRead,
    ShareQueued,
    ShareRequest,
)
from linedesk.invoices.service import (
    invoice_fatturapa,
    invoice_pdf,
    load_document,
    share_invoice,
)
from linedesk.kit.pagination import IdPath, PageParams, set_total
from linedesk.kit.schemas import MONTH_PATTERN

router = APIRouter(prefix="/invoices", tags=["invoices"])
PERIOD = MONTH_PATTERN


def period_start(period: str | None) -> date | None:
    if not period:
        return None
    year, month = period.split("-")
    return date(int(year), int(month), 1)


async def _filters(
    billing_account: Annotated[
        str | None, Query(max_length=32, description="A billing account's code")
    ] = None,
    period: Annotated[str | None, Query(pattern=PERIOD, description="YYYY-MM")] = None,
    status: InvoiceStatus | None = None,
) -> InvoiceFilters:
    return InvoiceFilters(
        billing_account=billing_account, period=period_start(period), status=status
    )


FiltersDep = Annotated[InvoiceFilters, Depends(_filters)]


def _attachment(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("", response_model=list[InvoiceRead])
async def list_invoices(
    principal: Manager,
    session: SessionDep,
    response: Response,
    filters: FiltersDep,
    page: PageParams,
) -> list[InvoiceRead]:
    """The company's invoices, newest period first; the total count in `X-Total-Count`."""
    repository = InvoiceRepository(session, principal.scope)
    invoices, total = await repository.page(repository.listing(filters), page)
    codes = await repository.account_codes(invoices)
    set_total(response, total)
    return [InvoiceRead.of(invoice, codes[invoice.billing_account_id]) for invoice in invoices]


@router.get("/{invoice_id}", response_model=InvoiceDetail)
async def get_invoice(invoice_id: IdPath, principal: Manager, session: SessionDep) -> InvoiceDetail:
    """One invoice with its lines (fees, out-of-bundle charges, concession tax)."""
    document = await load_document(session, principal.scope, invoice_id)
    invoice = document.invoice
    return InvoiceDetail(
        **InvoiceRead.of(invoice, document.account.code).model_dump(),
        lines=[InvoiceLineRead.of(line, invoice.currency) for line in document.lines],
    )


@router.get(
    "/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def get_invoice_pdf(
    invoice_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep
) -> Response:
    """The courtesy copy as PDF, named like `fattura-2026-000123.pdf`."""
    content, name = await invoice_pdf(session, principal.scope, invoice_id, settings)
    return _attachment(content, "application/pdf", name)


@router.get(
    "/{invoice_id}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def get_invoice_xml(
    invoice_id: IdPath, principal: Manager, session: SessionDep, settings: SettingsDep
) -> Response:
    """The FatturaPA XML (FPR12), valid against the official schema 1.2.3."""
    content, name = await invoice_fatturapa(session, principal.scope, invoice_id, settings)
    return _attachment(content, "application/xml", name)


@router.post(
    "/{invoice_id}/share", response_model=ShareQueued, status_code=status.HTTP_202_ACCEPTED
)
async def share(
    invoice_id: IdPath,
    body: ShareRequest,
    principal: Manager,
    session: SessionDep,
    clock: ClockDep,
    limiter: LimiterDep,
) -> ShareQueued:
    """E-mail the invoice's PDF to `email`. The message is queued and sent by the worker,
    in the manager's language; at most 20 shares an hour per manager."""
    message = await share_invoice(
        session, principal, limiter, invoice_id, str(body.email), clock.now()
    )
    return ShareQueued(email=message.recipient, message_id=message.id)
