"""The managers' invoice pages (R-M1): the list with filters, an invoice with its downloads,
and sharing it by e-mail or through the device's share sheet."""

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.billing.models import InvoiceStatus
from linedesk.deps import ClockDep, LimiterDep, SessionDep
from linedesk.errors import LinedeskError, ValidationFailed
from linedesk.identity.principal import Principal
from linedesk.identity.web_auth import WebManager
from linedesk.invoices.api import PERIOD, period_start
from linedesk.invoices.pdf import pdf_file_name
from linedesk.invoices.repository import InvoiceFilters, InvoiceRepository
from linedesk.invoices.schemas import ShareRequest
from linedesk.invoices.service import load_document, share_invoice
from linedesk.kit.pagination import IdPath, PageParams
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import settle
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
STATUS_LABELS = {
    InvoiceStatus.issued: "To be paid",
    InvoiceStatus.paid: "Paid",
    InvoiceStatus.overdue: "Overdue",
}


def _page_filters(
    billing_account: str | None, period: str | None, status: str | None
) -> InvoiceFilters:
    """The filter form as sent: an empty or unknown choice means no filter."""
    return InvoiceFilters(
        billing_account=billing_account or None,
        period=period_start(period) if period and re.match(PERIOD, period) else None,
        status=InvoiceStatus(status) if status in set(InvoiceStatus) else None,
    )


@router.get("/invoices")
async def invoices_page(
    request: Request,
    principal: WebManager,
    session: SessionDep,
    page: PageParams,
    billing_account: str | None = None,
    period: str | None = None,
    status: str | None = None,
) -> Response:
    filters = _page_filters(billing_account, period, status)
    repository = InvoiceRepository(session, principal.scope)
    invoices, total = await repository.page(repository.listing(filters), page)
    query = {
        "billing_account": filters.billing_account or "",
        "period": f"{filters.period:%Y-%m}" if filters.period else "",
        "status": filters.status.value if filters.status else "",
    }
    return render(
        request,
        "invoices/list.html",
        invoices=invoices,
        total=total,
        page=page,
        codes=await repository.account_codes(invoices),
        accounts=await repository.accounts(),
        filters=query,
        statuses=STATUS_LABELS,
    )


async def _invoice_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    invoice_id: int,
    status_code: int = 200,
    **context: Any,
) -> Response:
    document = await load_document(session, principal.scope, invoice_id)
    return render(
        request,
        "invoices/detail.html",
        status_code=status_code,
        document=document,
        invoice=document.invoice,
        statuses=STATUS_LABELS,
        pdf_name=pdf_file_name(document.invoice),
        **context,
    )


@router.get("/invoices/{invoice_id}")
async def invoice_page(
    request: Request,
    invoice_id: IdPath,
    principal: WebManager,
    session: SessionDep,
    shared: str | None = None,
) -> Response:
    return await _invoice_page(request, session, principal, invoice_id, shared=shared)


def _share_request(email: str) -> ShareRequest:
    try:
        return ShareRequest(email=email)
    except ValidationError as exc:
        raise ValidationFailed(
            "Check the data you entered",
            details=[{"field": "email", "reason": "Enter a valid e-mail address"}],
        ) from exc


@router.post("/invoices/{invoice_id}/share")
async def share(
    request: Request,
    invoice_id: IdPath,
    _: CsrfChecked,
    principal: WebManager,
    session: SessionDep,
    clock: ClockDep,
    limiter: LimiterDep,
    email: Annotated[str, Form()],
) -> Response:
    """Queue the e-mail, then show the invoice again saying to whom it goes."""
    try:
        body = _share_request(email)
        await share_invoice(session, principal, limiter, invoice_id, str(body.email), clock.now())
    except LinedeskError as exc:
        await settle(session, exc)
        return await _invoice_page(
            request,
            session,
            principal,
            invoice_id,
            exc.status_code,
            error=exc,
            form={"email": email},
        )
    return redirect(f"/invoices/{invoice_id}?{urlencode({'shared': str(body.email)})}")
