"""Back-office routes of payments: record one, import a bank file, run the daily status
update; and change a billing account (its managers are notified)."""

from fastapi import APIRouter, Request, Response, status

from linedesk.backoffice.auth import OperatorKey
from linedesk.deps import ClockDep, SessionDep, SettingsDep
from linedesk.inventory.schemas import BillingAccountRead
from linedesk.kit.csvfile import CSV_BODY
from linedesk.kit.uploads import UPLOAD_RESPONSES, read_upload
from linedesk.payments.accounts import BillingAccountChange, change_billing_account
from linedesk.payments.repository import PaymentRepository
from linedesk.payments.schemas import PaymentImportResult, PaymentIn, PaymentRead
from linedesk.payments.service import import_payments_csv, record_payment

router = APIRouter(prefix="/backoffice", tags=["back office: payments"])


@router.post(
    "/payments",
    response_model=PaymentRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "This reference was recorded before"}},
)
async def create_payment(
    _: OperatorKey, session: SessionDep, clock: ClockDep, response: Response, body: PaymentIn
) -> PaymentRead:
    """Record a payment of an invoice. Idempotent by `reference`: the same payment again
    answers 200 with `already_recorded`; the reference with another invoice or amount, 409.
    An invoice paid in full becomes `paid`; paying more than is still due is refused."""
    created = await record_payment(session, body, clock.now())
    if not created:
        response.status_code = status.HTTP_200_OK
    invoice = await PaymentRepository(session).invoice_status(body.invoice_number)
    return PaymentRead(
        reference=body.reference,
        invoice_number=body.invoice_number,
        amount=body.amount,
        paid_at=body.paid_at,
        invoice_status=invoice,
        already_recorded=not created,
    )


@router.post(
    "/payments/import",
    response_model=PaymentImportResult,
    openapi_extra=CSV_BODY,
    responses=UPLOAD_RESPONSES,
)
async def import_payments(
    _: OperatorKey, session: SessionDep, clock: ClockDep, settings: SettingsDep, request: Request
) -> PaymentImportResult:
    """Import a bank/SEPA file: header `reference;invoice_number;amount;paid_at` (`;` or
    `,`; amounts with a decimal point or comma). Every row or none: a file with any bad row
    records nothing and the error names each bad row. References recorded before are
    skipped, so the same file can be sent again. A file larger than the server's limit
    (`LINEDESK_UPLOAD_MAX_BYTES`) answers 413, a line longer than 64 KiB 422."""
    text = await read_upload(request, settings.upload_max_bytes)
    result = await import_payments_csv(session, text, clock.now())
    return PaymentImportResult(
        recorded=len(result.new),
        already_recorded=len(result.already),
        invoices_paid=result.invoices_paid,
    )


@router.patch("/billing-accounts/{code}", response_model=BillingAccountRead)
async def update_billing_account(
    _: OperatorKey, session: SessionDep, clock: ClockDep, code: str, body: BillingAccountChange
) -> BillingAccountRead:
    """Change a billing account's payment method (and IBAN), address or invoice e-mail,
    validated as on creation. The company's managers are notified of what changed."""
    account = await change_billing_account(session, code, body, clock.now())
    return BillingAccountRead.model_validate(account)
