"""The managers' pages of the company's data (SPEC R-M5): the record with its billing
accounts and line counts, and the lines with search, filters and pages."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from linedesk.company import service
from linedesk.company.repository import CompanyDataRepository, LineFilters
from linedesk.deps import SessionDep
from linedesk.identity.web_auth import WebManager
from linedesk.inventory.models import LineStatus
from linedesk.kit.pagination import Page, PageParams
from linedesk.kit.phone import LineKind
from linedesk.web.templating import render

router = APIRouter(include_in_schema=False)
ALL_ACCOUNTS = Page(offset=0, limit=500)


def _blank_is_none(value: str | None) -> str | None:
    return (value or "").strip() or None


@router.get("/company")
async def company_page(request: Request, principal: WebManager, session: SessionDep) -> Response:
    data = await service.company_data(session, principal.scope)
    accounts, total = await service.billing_accounts(session, principal.scope, ALL_ACCOUNTS)
    return render(
        request,
        "company/overview.html",
        company=data,
        accounts=accounts,
        accounts_total=total,
        kinds=list(LineKind),
        statuses=list(LineStatus),
    )


@router.get("/company/lines")
async def company_lines_page(
    request: Request,
    principal: WebManager,
    session: SessionDep,
    page: PageParams,
    search: Annotated[str | None, Query(max_length=60)] = None,
    kind: Annotated[str | None, Query(max_length=10)] = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    offer: Annotated[str | None, Query(max_length=32)] = None,
    billing_account: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    # An empty choice of a <select> arrives as "": it means "any".
    filters = LineFilters(
        search=_blank_is_none(search),
        kind=LineKind(kind) if kind in set(LineKind) else None,
        status=LineStatus(status) if status in set(LineStatus) else None,
        offer=_blank_is_none(offer),
        billing_account=_blank_is_none(billing_account),
    )
    lines, total = await service.lines(session, principal.scope, filters, page)
    repo = CompanyDataRepository(session, principal.scope)
    params = filters.query_items() | {"limit": str(page.limit)}
    return render(
        request,
        "company/lines.html",
        lines=lines,
        total=total,
        page=page,
        filters=filters,
        kinds=list(LineKind),
        statuses=list(LineStatus),
        offers=await repo.offers_in_use(),
        accounts=await repo.billing_account_codes(),
        page_url=lambda offset: "/company/lines?" + urlencode(params | {"offset": str(offset)}),
    )
