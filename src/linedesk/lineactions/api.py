"""JSON routes of line actions (SPEC §8b, §9): each action answers 202 with its request;
the back office's signed provisioning callback and request list."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.backoffice.auth import OperatorKey
from linedesk.deps import ClockDep, SessionDep, SettingsDep
from linedesk.errors import Unauthorized, ValidationFailed
from linedesk.identity.auth import AuthContextDep, CurrentUser, HasherDep
from linedesk.kit.csvfile import CSV_BODY
from linedesk.kit.money import Money
from linedesk.kit.pagination import IdPath, PageParams, paged
from linedesk.kit.repository import Scope
from linedesk.kit.uploads import UPLOAD_RESPONSES, read_upload
from linedesk.lineactions import bulk, service
from linedesk.lineactions.models import LineRequest, RequestKind, RequestState
from linedesk.lineactions.repository import LineRequestRepository
from linedesk.lineactions.results import complete
from linedesk.lineactions.schemas import (
    ActivationCode,
    BackofficeLineRequestRead,
    BlockRequest,
    CatalogueOffer,
    LineRequestRead,
    LineServices,
    OfferChangeRequest,
    Policy,
    PolicyUpdate,
    ProvisioningAck,
    ProvisioningCallback,
    RequestFilters,
    ServicesUpdate,
    SimReplacementRequest,
    SpendingCapUpdate,
    UnblockRequest,
)
from linedesk.lineactions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

router = APIRouter(tags=["line actions"])
backoffice_router = APIRouter(prefix="/backoffice", tags=["back office: provisioning"])
ACCEPTED = status.HTTP_202_ACCEPTED


async def _one(session: AsyncSession, request: LineRequest) -> LineRequestRead:
    return (await service.describe(session, [request]))[0]


@router.post("/lines/{msisdn}/block", response_model=LineRequestRead, status_code=ACCEPTED)
async def block(
    msisdn: str,
    body: BlockRequest,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
) -> LineRequestRead:
    """Block a lost or stolen SIM: an employee their own and linked lines, a manager any
    line of the company. When the network confirms, the line is `suspended` and its holder
    and the managers are told in the app and by e-mail (never by SMS)."""
    return await _one(session, await service.block(session, ctx, principal, msisdn, body.reason))


@router.post("/lines/{msisdn}/unblock", response_model=LineRequestRead, status_code=ACCEPTED)
async def unblock(
    msisdn: str,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
    hasher: HasherDep,
    body: UnblockRequest | None = None,
) -> LineRequestRead:
    """Unblock a line: a manager; an employee with their `password`, unless the SIM was
    reported stolen (403 `stolen_needs_replacement`: a manager replaces it)."""
    password = body.password if body else None
    request = await service.unblock(
        session, ctx, principal, msisdn, password=password, hasher=hasher
    )
    return await _one(session, request)


@router.get("/lines/{msisdn}/services", response_model=LineServices)
async def get_services(msisdn: str, principal: CurrentUser, session: SessionDep) -> LineServices:
    """The line's services (roaming, international calls, premium-rate services, mobile
    data), its spending cap and block, and which services the caller may switch."""
    return await service.get_services(session, principal, msisdn)


@router.put("/lines/{msisdn}/services", response_model=LineRequestRead, status_code=ACCEPTED)
async def set_services(
    msisdn: str,
    body: ServicesUpdate,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
) -> LineRequestRead:
    """Switch services (fields left out stay): a manager any; an employee roaming on their
    own line if the company allows it. A data-only SIM refuses voice bars (422
    `data_only_sim`)."""
    return await _one(session, await service.set_services(session, ctx, principal, msisdn, body))


@router.put("/lines/{msisdn}/spending-cap", response_model=LineRequestRead, status_code=ACCEPTED)
async def set_spending_cap(
    msisdn: str,
    body: SpendingCapUpdate,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
) -> LineRequestRead:
    """A manager sets the line's monthly cap on chargeable traffic in EUR (`null` removes
    it): alert at 80 %, chargeable traffic barred at 100 % until the month ends."""
    request = await service.set_spending_cap(session, ctx, principal, msisdn, body.amount)
    return await _one(session, request)


@router.post(
    "/lines/{msisdn}/sim-replacements", response_model=LineRequestRead, status_code=ACCEPTED
)
async def replace_sim(
    msisdn: str,
    body: SimReplacementRequest,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
) -> LineRequestRead:
    """A manager replaces the SIM with a new physical SIM or an eSIM. A SIM change: SMS
    password recovery is refused for 72 hours. An eSIM's activation code is shown once
    (`POST /requests/{id}/activation-code`) when the request is done."""
    request = await service.replace_sim(session, ctx, principal, msisdn, body.kind)
    return await _one(session, request)


@router.post("/lines/{msisdn}/esim-reissues", response_model=LineRequestRead, status_code=ACCEPTED)
async def reissue_esim(
    msisdn: str, principal: CurrentUser, session: SessionDep, ctx: AuthContextDep
) -> LineRequestRead:
    """A manager re-issues the line's eSIM activation code; the previous code stops working."""
    return await _one(session, await service.reissue_esim(session, ctx, principal, msisdn))


@router.post("/lines/{msisdn}/offer-change", response_model=LineRequestRead, status_code=ACCEPTED)
async def change_offer(
    msisdn: str,
    body: OfferChangeRequest,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
) -> LineRequestRead:
    """A manager moves the line to another offer of `GET /offers`, from the first day of
    next month; the counters and the billing follow from that day."""
    request = await service.change_offer(session, ctx, principal, msisdn, body.offer_id)
    return await _one(session, request)


@router.get("/offers", response_model=list[CatalogueOffer])
async def offers(principal: CurrentUser, session: SessionDep) -> list[CatalogueOffer]:
    """The catalogue of offers open to the caller's company."""
    return [
        CatalogueOffer(
            id=o.id,
            code=o.code,
            name=o.name,
            monthly_fee=Money.eur(o.monthly_fee),
            data_mb=o.data_mb,
            voice_minutes=o.voice_minutes,
            sms=o.sms,
            eu_roaming_data_mb=o.eu_roaming_data_mb,
        )
        for o in await service.offers_for(session, principal)
    ]


@router.get("/requests", response_model=list[LineRequestRead])
async def requests(
    principal: CurrentUser,
    session: SessionDep,
    page: PageParams,
    response: Response,
    filters: Annotated[RequestFilters, Query()],
) -> list[LineRequestRead]:
    """The caller's line requests, newest first: a manager's whole company, an employee's
    own and linked lines. Each goes requested → sent → done | failed (with its reason)."""
    items, total = await service.list_requests(session, principal, page, filters)
    return paged(response, await service.describe(session, items), total)


@router.get("/requests/{request_id}", response_model=LineRequestRead)
async def request_detail(
    request_id: IdPath, principal: CurrentUser, session: SessionDep
) -> LineRequestRead:
    return await _one(session, await service.get_request(session, principal, request_id))


@router.post("/requests/{request_id}/activation-code", response_model=ActivationCode)
async def activation_code(
    request_id: IdPath,
    principal: CurrentUser,
    session: SessionDep,
    ctx: AuthContextDep,
    response: Response,
) -> ActivationCode:
    """The eSIM activation code of a done replacement or re-issue, with its QR code: shown
    once (then 409 `code_already_shown`; re-issue for a new one)."""
    response.headers["Cache-Control"] = "no-store"
    return await service.show_activation_code(session, ctx, principal, request_id)


@router.get("/company/line-policy", response_model=Policy)
async def policy(principal: CurrentUser, session: SessionDep) -> Policy:
    return Policy(employees_switch_roaming=await service.get_policy(session, principal))


@router.put("/company/line-policy", response_model=Policy)
async def set_policy(
    body: PolicyUpdate, principal: CurrentUser, session: SessionDep, ctx: AuthContextDep
) -> Policy:
    """A manager lets employees switch roaming on their own lines (or not)."""
    allowed = await service.set_policy(session, ctx, principal, body.employees_switch_roaming)
    return Policy(employees_switch_roaming=allowed)


# --- back office -----------------------------------------------------------------------------


@backoffice_router.post("/provisioning/callback", response_model=ProvisioningAck)
async def provisioning_callback(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> ProvisioningAck:
    """The provisioning system reports a request `done` or `failed`. Signed like our
    requests: `X-Linedesk-Timestamp` (Unix seconds) and `X-Linedesk-Signature`
    (`sha256=` HMAC-SHA256 of `<timestamp>.<body>`); a bad or stale signature is 401.
    The same report twice changes nothing."""
    body = await request.body()
    now = clock.now()
    if not verify(
        settings.provisioning_key,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        body,
        now=now.timestamp(),
        max_skew=settings.provisioning_callback_max_skew_seconds,
    ):
        raise Unauthorized("Bad or stale signature", code="bad_signature")
    try:
        callback = ProvisioningCallback.model_validate_json(body)
    except ValueError as exc:
        raise ValidationFailed("Not a provisioning result", code="bad_callback") from exc
    done = await complete(session, settings, now, callback)
    return ProvisioningAck(request_id=done.id, state=done.state)


@backoffice_router.get("/provisioning/requests", response_model=list[BackofficeLineRequestRead])
async def backoffice_requests(
    _key: OperatorKey,
    session: SessionDep,
    page: PageParams,
    response: Response,
    state: RequestState | None = None,
    kind: RequestKind | None = None,
) -> list[BackofficeLineRequestRead]:
    """Every company's line requests, newest first, with their delivery attempts."""
    repo = LineRequestRepository(session, Scope.operator())
    items, total = await repo.page(repo.listing(state=state, kind=kind), page)
    described = await service.describe(session, items)
    out = [
        BackofficeLineRequestRead(
            **read.model_dump(),
            company_id=item.company_id,
            attempts=item.attempts,
            last_error=item.last_error,
            idempotency_key=item.idempotency_key,
        )
        for read, item in zip(described, items, strict=True)
    ]
    return paged(response, out, total)


@router.post(
    "/line-actions",
    response_model=list[LineRequestRead],
    status_code=ACCEPTED,
    openapi_extra=CSV_BODY,
    responses=UPLOAD_RESPONSES,
)
async def bulk_line_actions(
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    ctx: AuthContextDep,
    request: Request,
) -> list[LineRequestRead]:
    """A manager's CSV of actions, one row per line: `msisdn,action,value` with action
    `block` (lost|stolen), `roaming`, `international_calls`, `premium_services`,
    `mobile_data` (on|off), `spending_cap` (EUR, empty removes it) or `offer` (an offer
    code). The whole file is checked first: any bad row applies nothing, and the error
    names every bad row with its line number. Otherwise one request per row, in order."""
    text = await read_upload(request, settings.upload_max_bytes)
    done = await bulk.apply_file(session, ctx, principal, text)
    return await service.describe(session, done)
