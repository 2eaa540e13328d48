"""The company's data for its managers (SPEC R-M5). /company/managers and
/company/audit-log live with the managers (managers/api.py)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from linedesk.company import service
from linedesk.company.repository import LineFilters
from linedesk.company.schemas import CompanyData
from linedesk.deps import SessionDep
from linedesk.identity.auth import Manager
from linedesk.inventory.models import LineStatus
from linedesk.inventory.schemas import BillingAccountRead, LineView
from linedesk.kit.pagination import PageParams, paged
from linedesk.kit.phone import LineKind

router = APIRouter(tags=["company"])


@router.get("/company", response_model=CompanyData)
async def company(principal: Manager, session: SessionDep) -> CompanyData:
    """The caller's company: its record, how many billing accounts, and its lines counted
    by kind, by status and by both."""
    return await service.company_data(session, principal.scope)


@router.get("/company/lines", response_model=list[LineView])
async def company_lines(
    principal: Manager,
    session: SessionDep,
    response: Response,
    page: PageParams,
    search: Annotated[
        str | None,
        Query(max_length=60, description="part of the number or of the holder's name"),
    ] = None,
    kind: LineKind | None = None,
    status: LineStatus | None = None,
    offer: Annotated[str | None, Query(max_length=32, description="offer code")] = None,
    billing_account: Annotated[
        str | None, Query(max_length=32, description="billing account code")
    ] = None,
) -> list[LineView]:
    """The company's lines by number, filtered by kind, status, offer and billing account;
    paged (offset/limit, the total in X-Total-Count)."""
    filters = LineFilters(
        search=search, kind=kind, status=status, offer=offer, billing_account=billing_account
    )
    items, total = await service.lines(session, principal.scope, filters, page)
    return paged(response, items, total)


@router.get("/billing-accounts", response_model=list[BillingAccountRead])
async def billing_accounts(
    principal: Manager, session: SessionDep, response: Response, page: PageParams
) -> list[BillingAccountRead]:
    """The company's billing accounts, by code (X-Total-Count)."""
    items, total = await service.billing_accounts(session, principal.scope, page)
    return paged(response, [BillingAccountRead.model_validate(a) for a in items], total)
