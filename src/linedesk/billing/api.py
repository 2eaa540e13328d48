"""Back-office routes of billing: run the month's billing, fetch an invoice's FatturaPA XML."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from linedesk.backoffice.auth import OperatorKey
from linedesk.billing.fatturapa import invoice_xml, xml_file_name
from linedesk.billing.repository import BillingRepository
from linedesk.billing.schemas import BillingRunIn, RunSummary
from linedesk.billing.service import issue_invoices
from linedesk.deps import ClockDep, SessionDep, SettingsDep
from linedesk.errors import found

router = APIRouter(prefix="/backoffice", tags=["back office: billing"])


@router.post("/billing-runs", response_model=RunSummary)
async def run_billing(
    _: OperatorKey,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: BillingRunIn,
) -> RunSummary:
    """Invoice a month (`YYYY-MM`, ended) for every billing account not invoiced for it yet.

    Safe to repeat: accounts already invoiced are counted as `already_invoiced`, and a run
    interrupted halfway is completed by the next one. Accounts are committed a chunk at a
    time, so what was issued before an error stays issued."""
    return await issue_invoices(
        session,
        clock.now(),
        body.first_day,
        due_days=settings.invoice_due_days,
        commit=session.commit,
        on_issued=request.app.state.on_invoices_issued,
    )


@router.get(
    "/invoices/{year}/{sequence}/xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def get_invoice_xml(
    _: OperatorKey,
    session: SessionDep,
    settings: SettingsDep,
    year: Annotated[int, Path(ge=1900, le=2099)],
    sequence: Annotated[int, Path(ge=1, le=999_999)],
) -> Response:
    """The invoice's FatturaPA XML (FPR12), valid against the official schema 1.2.3. The
    number `2026/000123` is addressed as `/invoices/2026/000123/xml`."""
    invoice = found(await BillingRepository(session).by_number(year, sequence), "No such invoice")
    content = await invoice_xml(session, invoice, settings)
    name = xml_file_name(invoice, settings)
    return Response(
        content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
