"""JSON routes of a line (its view, R-U2 counters, R-U3 usage detail) and the widgets (R-U5)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from linedesk.dashboard import service
from linedesk.dashboard.repository import LineState
from linedesk.dashboard.schemas import (
    Summary,
    UsageDetail,
    WidgetExtended,
    WidgetLight,
    WidgetSettings,
    WidgetVariant,
)
from linedesk.deps import ClockDep, ReadSessionDep, SessionDep
from linedesk.errors import NotFound, found
from linedesk.identity.auth import AuthContextDep, BearerDep, CurrentUser, active, signed_in
from linedesk.identity.principal import Principal, line_scope
from linedesk.inventory.repository import LineRepository
from linedesk.inventory.schemas import LineView
from linedesk.kit.clock import ROME
from linedesk.kit.phone import InvalidNumber, number_in_path, stored_number
from linedesk.kit.schemas import Day
from linedesk.usage.models import UsageType

router = APIRouter(tags=["usage"])
lines_router = APIRouter(tags=["lines"])
WIDGET_CACHE = "private, max-age=60"


@dataclass(frozen=True)
class LineRead:
    """A signed-in caller, a line they may read with its counters, and when it was read."""

    principal: Principal
    state: LineState
    now: datetime


async def _read_line(
    request: Request, session: ReadSessionDep, ctx: AuthContextDep, bearer: BearerDep, raw: str
) -> LineRead:
    """Who is calling and the line `raw`, in the round trip of the authentication itself: the
    counters answer at the speed of a bare read (issue 15). 401, 403, then 404, as any route."""
    try:
        number: str | None = stored_number(raw)  # as stored, parsed only when it is not
    except InvalidNumber:
        number = None  # a line we do not have, told once the caller is known
    along = service.state_along(number, ctx.now) if number else None
    principal, read = await signed_in(request, session, ctx, bearer, along)
    active(principal)
    if number is None:
        raise NotFound("No such line")
    return LineRead(principal, found(LineState.of(read), "No such line"), ctx.now)


async def _line_of_path(
    request: Request, session: ReadSessionDep, ctx: AuthContextDep, bearer: BearerDep, msisdn: str
) -> LineRead:
    return await _read_line(request, session, ctx, bearer, msisdn)


async def _widget_line(
    request: Request,
    session: ReadSessionDep,
    ctx: AuthContextDep,
    bearer: BearerDep,
    line: Annotated[str | None, Query(description="default: the widget settings' line")] = None,
) -> LineRead:
    if line:
        return await _read_line(request, session, ctx, bearer, line)
    principal = active((await signed_in(request, session, ctx, bearer))[0])
    msisdn = await service.widget_line(session, principal, line)
    return LineRead(
        principal, await service.line_state(session, principal, msisdn, ctx.now), ctx.now
    )


# The caller (CurrentUser) and the line of the path, or the widget's line, with its counters.
LineOfPath = Annotated[LineRead, Depends(_line_of_path)]
WidgetLine = Annotated[LineRead, Depends(_widget_line)]


@router.get("/lines/{msisdn}/summary", response_model=Summary)
async def line_summary(read: LineOfPath) -> Response:
    """The line's counters for the current period: data (bytes), voice (seconds) and SMS,
    each used, included and remaining (null when unlimited); EU-roaming data; the credit
    (a prepaid balance, or a postpaid line's out-of-bundle charges so far); the offer's
    name; when the counters were last updated (null before any use)."""
    summary = service.summarize(read.state, service.current_period(read.now))
    # Serialised once, here: returned as a model, it would be validated again against
    # response_model before being serialised (a third of the route's own time).
    return Response(summary.model_dump_json(by_alias=True), media_type="application/json")


@router.get("/lines/{msisdn}/usage", response_model=UsageDetail, response_model_by_alias=True)
async def line_usage(
    principal: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    msisdn: str,
    from_: Annotated[Day | None, Query(alias="from", description="first day, YYYY-MM-DD")] = None,
    to: Annotated[Day | None, Query(description="last day, YYYY-MM-DD")] = None,
    type: UsageType | None = None,
) -> UsageDetail:
    """Usage per day and type, and the latest 50 records, for the chosen days (default: the
    current month so far; at most 400 days; days in Europe/Rome)."""
    now = clock.now()
    first, last = service.checked_range(from_, to, now.astimezone(ROME).date())
    return await service.usage_detail(session, principal, msisdn, now, first, last, type)


@router.get(
    "/widget",
    response_model=WidgetExtended | WidgetLight,
    responses={304: {"description": "Not modified (the ETag matched)"}},
)
async def widget(
    read: WidgetLine,
    session: ReadSessionDep,
    variant: WidgetVariant = WidgetVariant.light,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The widget's compact JSON. *light*: the three counters (usage, credit, offer name)
    and when they were updated; *extended* adds the settings' URL and up to 4 quick links.
    Send the `ETag` back in `If-None-Match` to get `304` while nothing changed."""
    summary = service.summarize(read.state, service.current_period(read.now))
    payload: WidgetLight = (
        service.light(summary)
        if variant is WidgetVariant.light
        else await service.extended(session, read.principal, summary)
    )
    body = payload.model_dump_json().encode()
    headers = {
        "ETag": service.etag(body),
        "Cache-Control": WIDGET_CACHE,
        "Vary": "Authorization, Cookie",
    }
    if service.etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/me/widget-settings", response_model=WidgetSettings)
async def get_widget_settings(principal: CurrentUser, session: SessionDep) -> WidgetSettings:
    """The widget's line (null: the main line) and pinned links."""
    return await service.widget_settings(session, principal)


@router.put("/me/widget-settings", response_model=WidgetSettings)
async def put_widget_settings(
    principal: CurrentUser, session: SessionDep, clock: ClockDep, body: WidgetSettings
) -> WidgetSettings:
    """Choose the widget's line (one you may read) and pin up to 4 links among `home`,
    `usage`, `link_sim`, `password`, `invoices`, `managers` (the last two for managers)."""
    return await service.save_widget_settings(session, principal, body, clock.now())


@lines_router.get("/lines/{msisdn}", response_model=LineView)
async def line(principal: CurrentUser, session: SessionDep, msisdn: str) -> LineView:
    """A line the caller may see: an employee their own and linked lines, a manager any line
    of the company. Any other number answers 404."""
    repo = LineRepository(session, await line_scope(session, principal))
    line = found(await repo.get_by_msisdn(number_in_path(msisdn)), "No such line")
    return LineView.of(line)
