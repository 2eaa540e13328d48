"""Back-office JSON routes of the inventory: create and read, one at a time or from CSV."""

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import Select

from linedesk.backoffice.auth import OperatorKey
from linedesk.deps import ClockDep, SessionDep, SettingsDep
from linedesk.errors import found
from linedesk.inventory.models import LineStatus, Segment
from linedesk.inventory.repository import (
    BillingAccountRepository,
    CompanyRepository,
    LineRepository,
    OfferRepository,
)
from linedesk.inventory.schemas import (
    BillingAccountCreate,
    BillingAccountRead,
    CompanyCreate,
    CompanyRead,
    ImportResult,
    InventoryResource,
    LineCreate,
    LineRead,
    OfferCreate,
    OfferRead,
    SimSwap,
)
from linedesk.inventory.service import (
    RESOURCES,
    ImportContext,
    create_one,
    import_csv,
    read_lines,
    swap_sim,
)
from linedesk.kit.csvfile import CSV_BODY
from linedesk.kit.pagination import IdPath, IdQuery, Page, PageParams, paged
from linedesk.kit.phone import LineKind, number_in_path
from linedesk.kit.repository import Scope, ScopedRepository
from linedesk.kit.uploads import UPLOAD_RESPONSES, read_upload

router = APIRouter(prefix="/backoffice", tags=["back office: inventory"])
OPERATOR = Scope.operator()
ReadT = TypeVar("ReadT", bound=BaseModel)


def _ctx(settings: SettingsDep, clock: ClockDep) -> ImportContext:
    return ImportContext(secret_key=settings.secret_key, now=clock.now())


async def _listed(
    response: Response,
    repo: ScopedRepository[Any],
    statement: Select[Any],
    page: Page,
    read: type[ReadT],
) -> list[ReadT]:
    """One page of a listing as `read` models, the total in X-Total-Count."""
    items, total = await repo.page(statement, page)
    return paged(response, [read.model_validate(item) for item in items], total)


# --- companies -----------------------------------------------------------------------------


@router.get("/companies", response_model=list[CompanyRead])
async def list_companies(
    _: OperatorKey,
    session: SessionDep,
    response: Response,
    page: PageParams,
    segment: Segment | None = None,
) -> list[CompanyRead]:
    """Every customer company, oldest first."""
    repo = CompanyRepository(session, OPERATOR)
    return await _listed(response, repo, repo.listing(segment), page, CompanyRead)


@router.get("/companies/{company_id}", response_model=CompanyRead)
async def get_company(_: OperatorKey, session: SessionDep, company_id: IdPath) -> CompanyRead:
    company = found(await CompanyRepository(session, OPERATOR).get(company_id), "No such company")
    return CompanyRead.model_validate(company)


@router.post("/companies", response_model=CompanyRead, status_code=status.HTTP_201_CREATED)
async def create_company(
    _: OperatorKey, session: SessionDep, settings: SettingsDep, clock: ClockDep, body: CompanyCreate
) -> CompanyRead:
    """Create a company; its VAT number is checked with its check digit."""
    new_id = await create_one(session, RESOURCES["companies"], body, _ctx(settings, clock))
    return await get_company(_, session, new_id)


# --- billing accounts ----------------------------------------------------------------------


@router.get("/billing-accounts", response_model=list[BillingAccountRead])
async def list_billing_accounts(
    _: OperatorKey,
    session: SessionDep,
    response: Response,
    page: PageParams,
    company_id: IdQuery = None,
) -> list[BillingAccountRead]:
    repo = BillingAccountRepository(session, OPERATOR)
    return await _listed(response, repo, repo.listing(company_id), page, BillingAccountRead)


@router.get("/billing-accounts/{code}", response_model=BillingAccountRead)
async def get_billing_account(_: OperatorKey, session: SessionDep, code: str) -> BillingAccountRead:
    account = found(
        await BillingAccountRepository(session, OPERATOR).get_by_code(code),
        "No such billing account",
    )
    return BillingAccountRead.model_validate(account)


@router.post(
    "/billing-accounts", response_model=BillingAccountRead, status_code=status.HTTP_201_CREATED
)
async def create_billing_account(
    _: OperatorKey,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: BillingAccountCreate,
) -> BillingAccountRead:
    await create_one(session, RESOURCES["billing-accounts"], body, _ctx(settings, clock))
    return await get_billing_account(_, session, body.code)


# --- offers --------------------------------------------------------------------------------


@router.get("/offers", response_model=list[OfferRead])
async def list_offers(
    _: OperatorKey, session: SessionDep, response: Response, page: PageParams
) -> list[OfferRead]:
    repo = OfferRepository(session, OPERATOR)
    return await _listed(response, repo, repo.listing(), page, OfferRead)


@router.get("/offers/{code}", response_model=OfferRead)
async def get_offer(_: OperatorKey, session: SessionDep, code: str) -> OfferRead:
    offer = found(await OfferRepository(session, OPERATOR).get_by_code(code), "No such offer")
    return OfferRead.model_validate(offer)


@router.post("/offers", response_model=OfferRead, status_code=status.HTTP_201_CREATED)
async def create_offer(
    _: OperatorKey, session: SessionDep, settings: SettingsDep, clock: ClockDep, body: OfferCreate
) -> OfferRead:
    await create_one(session, RESOURCES["offers"], body, _ctx(settings, clock))
    return await get_offer(_, session, body.code)


# --- lines ---------------------------------------------------------------------------------


@router.get("/lines", response_model=list[LineRead])
async def list_lines(
    _: OperatorKey,
    session: SessionDep,
    response: Response,
    page: PageParams,
    company_id: IdQuery = None,
    kind: LineKind | None = None,
    status: LineStatus | None = None,
    billing_account_code: str | None = None,
    search: Annotated[str | None, Query(max_length=20, description="part of the number")] = None,
) -> list[LineRead]:
    repo = LineRepository(session, OPERATOR)
    statement = repo.listing(
        company_id=company_id,
        kind=kind,
        status=status,
        billing_account_code=billing_account_code,
        search=search,
    )
    items, total = await repo.page(statement, page)
    return paged(response, await read_lines(repo, items), total)


@router.get("/lines/{msisdn}", response_model=LineRead)
async def get_line(_: OperatorKey, session: SessionDep, msisdn: str) -> LineRead:
    """A line with its current SIM and the history of its SIM changes."""
    repo = LineRepository(session, OPERATOR)
    line = found(await repo.get_by_msisdn(number_in_path(msisdn)), "No such line")
    (read,) = await read_lines(repo, [line], with_history=True)
    return read


@router.post("/lines", response_model=LineRead, status_code=status.HTTP_201_CREATED)
async def create_line(
    _: OperatorKey, session: SessionDep, settings: SettingsDep, clock: ClockDep, body: LineCreate
) -> LineRead:
    """Create a line; a mobile line comes with its SIM (ICCID and PUK, stored hashed)."""
    await create_one(session, RESOURCES["lines"], body, _ctx(settings, clock))
    return await get_line(_, session, number_in_path(body.msisdn))


@router.post("/lines/{msisdn}/sim-swap", response_model=LineRead)
async def sim_swap(
    _: OperatorKey,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    msisdn: str,
    body: SimSwap,
) -> LineRead:
    """Give a mobile line a new SIM; the change and its date are kept in the SIM history."""
    line = await swap_sim(session, OPERATOR, number_in_path(msisdn), body, _ctx(settings, clock))
    return await get_line(_, session, line.msisdn)


# --- bulk CSV ------------------------------------------------------------------------------


@router.post(
    "/{resource}/import",
    response_model=ImportResult,
    openapi_extra=CSV_BODY,
    responses=UPLOAD_RESPONSES,
)
async def import_resource(
    _: OperatorKey,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    request: Request,
    resource: InventoryResource,
) -> ImportResult:
    """Import a CSV file (`,` or `;` separated, header row of field names): every row or none.

    A file with any bad row imports nothing; the error lists every bad row with its line
    number in the file and the reason. A file larger than the server's limit
    (`LINEDESK_UPLOAD_MAX_BYTES`) answers 413, a line longer than 64 KiB 422.
    """
    text = await read_upload(request, settings.upload_max_bytes)
    count = await import_csv(session, RESOURCES[resource.value], text, _ctx(settings, clock))
    return ImportResult(resource=resource, imported=count)
