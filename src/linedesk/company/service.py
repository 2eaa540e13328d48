"""The company's data for its managers (SPEC R-M5): record, counts, billing accounts, lines."""

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.company.repository import CompanyDataRepository, LineFilters
from linedesk.company.schemas import CompanyData, LineCount, LineCounts
from linedesk.errors import found
from linedesk.inventory.models import BillingAccount, Line, LineStatus
from linedesk.inventory.schemas import CompanyRead, LineView
from linedesk.kit.pagination import Page
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope


def counts(rows: list[tuple[LineKind, LineStatus, int]]) -> LineCounts:
    by_kind = {kind: 0 for kind in LineKind}
    by_status = {status: 0 for status in LineStatus}
    for kind, status, count in rows:
        by_kind[kind] += count
        by_status[status] += count
    return LineCounts(
        total=sum(by_kind.values()),
        by_kind=by_kind,
        by_status=by_status,
        by_kind_and_status=[LineCount(kind=k, status=s, count=c) for k, s, c in sorted(rows)],
    )


async def company_data(session: AsyncSession, scope: Scope) -> CompanyData:
    repo = CompanyDataRepository(session, scope)
    company = found(await repo.company(), "No such company")
    return CompanyData(
        **CompanyRead.model_validate(company).model_dump(),
        billing_accounts=await repo.count(repo.billing_accounts()),
        lines=counts(await repo.line_counts()),
    )


async def billing_accounts(
    session: AsyncSession, scope: Scope, page: Page
) -> tuple[list[BillingAccount], int]:
    repo = CompanyDataRepository(session, scope)
    items, total = await repo.page(repo.billing_accounts(), page)
    return list(items), total


def line_view(line: Line) -> LineView:
    return LineView.of(line)


async def lines(
    session: AsyncSession, scope: Scope, filters: LineFilters, page: Page
) -> tuple[list[LineView], int]:
    repo = CompanyDataRepository(session, scope)
    items, total = await repo.page(repo.lines(filters), page)
    return [line_view(line) for line in items], total
