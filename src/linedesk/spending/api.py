"""The spending trend for the company's managers (SPEC R-M4): JSON and CSV."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from linedesk.deps import ClockDep, SessionDep
from linedesk.identity.auth import Manager
from linedesk.kit.pagination import PageParams, set_total
from linedesk.spending.export import trend_csv
from linedesk.spending.schemas import GroupBy, SpendingTrend
from linedesk.spending.service import checked_range, trend

router = APIRouter(tags=["spending"])
MonthParam = Annotated[str | None, Query(max_length=7, description="YYYY-MM", examples=["2026-01"])]
FromParam = Annotated[str | None, Query(alias="from", max_length=7, description="YYYY-MM")]


@router.get("/spending", response_model=SpendingTrend)
async def spending(
    principal: Manager,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    page: PageParams,
    from_: FromParam = None,
    to: MonthParam = None,
    group_by: GroupBy = GroupBy.month,
) -> SpendingTrend:
    """What the company's lines cost month by month: the billed months (invoice lines,
    without VAT; the concession tax included), split mobile/fixed, plus the current month's
    estimate (`estimate: true`: offer fees, concession tax and out-of-bundle charges so
    far). `from`/`to` default to the last 12 months; at most 36. `group_by` adds groups per
    kind, billing account or line (lines paged with offset/limit, X-Total-Count)."""
    today = clock.today()
    result, count = await trend(
        session, principal.scope, checked_range(from_, to, today), today, group_by, page
    )
    set_total(response, count)
    return result


@router.get(
    "/spending.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
async def spending_csv(
    principal: Manager,
    session: SessionDep,
    clock: ClockDep,
    from_: FromParam = None,
    to: MonthParam = None,
    group_by: GroupBy = GroupBy.month,
) -> Response:
    """The same trend as a CSV file for Excel in Italian: `;` separated, decimal comma,
    UTF-8 with BOM. group_by=line lists every line billed in the range."""
    today = clock.today()
    span = checked_range(from_, to, today)
    result, _ = await trend(session, principal.scope, span, today, group_by)
    filename = f"spending-{result.from_}-{result.to}-{group_by.value}.csv"
    return Response(
        trend_csv(result).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
