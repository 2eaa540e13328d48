"""The managers' spending page (SPEC R-M4): stacked bars mobile/fixed per month (the current
month's estimate drawn apart), tables for every grouping, the top lines, the CSV link."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import LinedeskError
from linedesk.identity.web_auth import WebManager
from linedesk.kit.pagination import Page, PageParams
from linedesk.spending.schemas import GroupBy, MonthSpending, SpendingTrend
from linedesk.spending.service import checked_range, trend
from linedesk.web.forms import settle
from linedesk.web.templating import render

router = APIRouter(include_in_schema=False)
CHART_WIDTH, CHART_HEIGHT, TOP_MARGIN = 640, 200, 10


@dataclass(frozen=True)
class StackedBar:
    month: MonthSpending
    x: float
    width: float
    mobile_y: float
    mobile_height: float
    fixed_y: float
    fixed_height: float


def stacked_bars(months: list[MonthSpending]) -> list[StackedBar]:
    """One bar per month, mobile at the bottom and fixed on top, scaled to the dearest."""
    peak = max((m.total.amount for m in months), default=Decimal(0)) or Decimal(1)
    slot = CHART_WIDTH / max(len(months), 1)
    scale = (CHART_HEIGHT - TOP_MARGIN) / float(peak)
    bars = []
    for n, m in enumerate(months):
        mobile = float(m.mobile.amount) * scale
        fixed = float(m.fixed.amount) * scale
        bars.append(
            StackedBar(
                month=m,
                x=round(n * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                mobile_y=round(CHART_HEIGHT - mobile, 2),
                mobile_height=round(mobile, 2),
                fixed_y=round(CHART_HEIGHT - mobile - fixed, 2),
                fixed_height=round(fixed, 2),
            )
        )
    return bars


def money_ticks(months: list[MonthSpending]) -> list[tuple[float, Decimal]]:
    """The value axis of `stacked_bars`: round amounts (1, 2 or 5 times a power of ten) from 0
    up to the dearest month, as (y, amount)."""
    peak = max((m.total.amount for m in months), default=Decimal(0))
    if not peak:
        return [(float(CHART_HEIGHT), Decimal(0))]
    scale = (CHART_HEIGHT - TOP_MARGIN) / float(peak)
    power = Decimal(10) ** (len(str(int(peak))) - 1)
    step = next(
        f * power
        for f in (
            Decimal("0.1"),
            Decimal("0.2"),
            Decimal("0.5"),
            Decimal(1),
            Decimal(2),
            Decimal(5),
        )
        if peak / (f * power) <= 5
    )
    ticks, value = [], Decimal(0)
    while value <= peak:
        ticks.append((round(CHART_HEIGHT - float(value) * scale, 2), value))
        value += step
    return ticks


@router.get("/spending")
async def spending_page(
    request: Request,
    principal: WebManager,
    session: SessionDep,
    clock: ClockDep,
    page: PageParams,
    from_: Annotated[str | None, Query(alias="from", max_length=7)] = None,
    to: Annotated[str | None, Query(max_length=7)] = None,
    group_by: GroupBy = GroupBy.month,
) -> Response:
    today = clock.today()
    try:
        span = checked_range(from_, to, today)
    except LinedeskError as error:
        await settle(session, error)
        span = checked_range(None, None, today)
        result, count = await trend(session, principal.scope, span, today, group_by, page)
        return _render(request, result, count, page, error=error, status_code=422)
    result, count = await trend(session, principal.scope, span, today, group_by, page)
    return _render(request, result, count, page)


def _render(
    request: Request,
    result: SpendingTrend,
    count: int,
    page: Page,
    status_code: int = 200,
    **context: object,
) -> Response:
    params = {"from": result.from_, "to": result.to, "group_by": result.group_by.value}
    return render(
        request,
        "spending/trend.html",
        status_code=status_code,
        trend=result,
        bars=stacked_bars(result.months),
        ticks=money_ticks(result.months),
        total=count,
        page=page,
        group_bys=list(GroupBy),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        csv_url="/api/v1/spending.csv?" + urlencode(params),
        page_url=lambda offset: "/spending?" + urlencode(params | {"offset": offset}),
        **context,
    )
