"""The employee's pages of usage: home with the counters, usage detail, the two embeddable
widgets and their settings. Managers see the same for any line of their company."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from linedesk.dashboard import service
from linedesk.dashboard.display import (
    CHART_HEIGHT,
    CHART_WIDTH,
    UNIT_OF,
    Gauge,
    chart,
    day_ticks,
    gauge,
    quantity,
    value_ticks,
)
from linedesk.dashboard.schemas import Summary, WidgetSettings
from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import LinedeskError, NotFound, ValidationFailed
from linedesk.identity.principal import Principal
from linedesk.identity.web_auth import WebUser
from linedesk.kit.clock import ROME
from linedesk.kit.i18n import Localizer, pick_language
from linedesk.kit.phone import InvalidNumber, parse_italian_number
from linedesk.usage.models import UsageType
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import settle
from linedesk.web.security_headers import WIDGET_POLICY
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
LineParam = Annotated[str | None, Query(max_length=20)]
EMBEDDABLE = {"Content-Security-Policy": WIDGET_POLICY}
LIVE_REFRESH = "X-Linedesk-Live"  # sent by static/live.js when a change makes it reload


@dataclass(frozen=True)
class LinePage:
    """What a page of one line's counters is asked with; `line` (`?line=`) is the line picked,
    if any."""

    request: Request
    principal: WebUser
    session: SessionDep
    clock: ClockDep
    line: LineParam = None


LinePageDep = Annotated[LinePage, Depends()]


def _l10n(request: Request) -> Localizer:
    return Localizer(pick_language(request, request.app.state.settings.default_language))


def _shown_line(request: Request, line: str | None) -> str | None:
    menu = request.state.menu
    return line or (menu.active.msisdn if menu.active else None)


def _gauges(request: Request, summary: Summary) -> list[Gauge]:
    """A gauge per allowance the line's offer includes (no "0 min of 0 min")."""
    l10n, usage = _l10n(request), summary.usage
    allowances = (
        ("data", usage.data),
        ("voice", usage.voice),
        ("sms", usage.sms),
        ("roaming_data", summary.roaming_data),
    )
    return [gauge(l10n, kind, allowance) for kind, allowance in allowances if allowance.offered]


async def visit(
    session: SessionDep,
    principal: Principal,
    feature: str,
    clock: ClockDep,
    request: Request | None = None,
) -> None:
    """Call from a feature's page: the extended widget's quick links learn from it (a page
    reading itself again for its live counters is not a visit)."""
    if request is not None and LIVE_REFRESH in request.headers:
        return
    await service.record_visit(session, principal, feature, clock.now())


async def _picker(session: SessionDep, principal: Principal) -> list[tuple[str, str | None, str]]:
    """The managers' line picker: suggestions with holder and offer (the browser filters
    them on all three as the manager types)."""
    if not principal.profile.is_manager:
        return []
    return list(await (await service.readable(session, principal)).find(""))


async def _searched(
    session: SessionDep, principal: Principal, line: str | None
) -> tuple[str | None, list[tuple[str, str | None, str]]]:
    """A manager's ?line= that is not a number is a search by holder name or offer: one match
    is that line; several are listed to choose from."""
    if not line or not principal.profile.is_manager:
        return line, []
    try:
        return parse_italian_number(line), []
    except InvalidNumber:
        matches = list(await (await service.readable(session, principal)).find(line, limit=20))
        if len(matches) == 1:
            return matches[0][0], []
        if not matches and any(c.isdigit() for c in line):
            return line, []  # a mistyped number: said beside the picker
        return None, matches


def renewal(period: date) -> date:
    """When the allowances of a period (a calendar month) start again: the next month's 1st."""
    return (period.replace(day=28) + timedelta(days=4)).replace(day=1)


async def home_page(asked: LinePage, **extra: Any) -> Response:
    """The home of both profiles (the route is in linedesk.overview, which adds the
    manager's company figures as `extra`)."""
    request, principal, session, clock = asked.request, asked.principal, asked.session, asked.clock
    await visit(session, principal, "home", clock, request)
    line, matches = await _searched(session, principal, asked.line)
    summary, line_error = (
        (None, None)
        if matches
        else await _summary_of_chosen_line(request, session, principal, clock, line)
    )
    return render(
        request,
        "dashboard/home.html",
        status_code=line_error.status_code if line_error else 200,
        summary=summary,
        gauges=_gauges(request, summary) if summary else [],
        renews_on=renewal(summary.period) if summary else None,
        suggestions=await _picker(session, principal),
        matches=matches,
        searched=request.query_params.get("line", ""),
        line_error=line_error,
        fetched_at=clock.now(),
        **extra,
    )


async def _summary_of_chosen_line(
    request: Request, session: SessionDep, principal: Principal, clock: ClockDep, line: str | None
) -> tuple[Summary | None, LinedeskError | None]:
    """The counters of the line asked for; a number that is no readable line is said beside
    the line picker, on the same page, which shows the user's own line instead (if any)."""
    msisdn = _shown_line(request, line)
    if msisdn is None:
        return None, None
    try:
        return await service.summary(session, principal, msisdn, clock.now()), None
    except NotFound as exc:
        own = _shown_line(request, None)
        if own is None or own == msisdn:
            return None, exc
        return await service.summary(session, principal, own, clock.now()), exc


def _parse_day(raw: str | None, name: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(f"'{name}' must be a date (YYYY-MM-DD)", code="bad_range") from exc


@router.get("/usage")
async def usage(
    asked: LinePageDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    type: UsageType = UsageType.data,
) -> Response:
    request, principal, session, clock = asked.request, asked.principal, asked.session, asked.clock
    await visit(session, principal, "usage", clock, request)
    summary, line_error = await _summary_of_chosen_line(
        request, session, principal, clock, asked.line
    )
    if summary is None:  # no line to show: the home page, with its picker and the message
        return await home_page(asked)
    now = clock.now()
    today = now.astimezone(ROME).date()
    range_error: LinedeskError | None = None
    try:
        first, last = service.checked_range(_parse_day(from_, "from"), _parse_day(to, "to"), today)
    except ValidationFailed as exc:  # said beside the range form, over the default range
        range_error = exc
        first, last = service.checked_range(None, None, today)
    msisdn = summary.msisdn
    # The type chosen filters the latest records too, not only the chart.
    detail = await service.usage_detail(session, principal, msisdn, now, first, last, type)
    updated_at = summary.updated_at
    l10n = _l10n(request)
    bars = chart(l10n, detail.days, first, last, type)
    error = line_error or range_error
    return render(
        request,
        "dashboard/usage.html",
        status_code=error.status_code if error else 200,
        error=range_error,
        line_error=line_error,
        detail=detail,
        chosen=type,
        types=list(UsageType),
        bars=bars,
        value_ticks=value_ticks(l10n, detail.days, type),
        day_ticks=day_ticks(l10n, bars),
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        quantity=lambda t, q: quantity(l10n, UNIT_OF[t], q),
        updated_at=updated_at,
        suggestions=await _picker(session, principal),
    )


async def _widget_page(asked: LinePage, extended: bool) -> Response:
    session, principal, clock = asked.session, asked.principal, asked.clock
    msisdn = await service.widget_line(session, principal, asked.line)
    summary = await service.summary(session, principal, msisdn, clock.now())
    links = await service.quick_links(session, principal) if extended else []
    response = render(
        asked.request,
        "dashboard/widget.html",
        summary=summary,
        extended=extended,
        gauges=_gauges(asked.request, summary)[:3],
        quick_links=links,
        settings_url=service.SETTINGS_URL,
        fetched_at=clock.now(),
    )
    response.headers.update(EMBEDDABLE)
    return response


@router.get("/widget/light")
async def widget_light(asked: LinePageDep) -> Response:
    return await _widget_page(asked, extended=False)


@router.get("/widget/extended")
async def widget_extended(asked: LinePageDep) -> Response:
    return await _widget_page(asked, extended=True)


def _settings_page(
    request: Request,
    principal: Principal,
    current: WidgetSettings,
    status_code: int = 200,
    **context: object,
) -> Response:
    features = [f for f, feature in service.FEATURES.items() if feature.open_to(principal)]
    return render(
        request,
        "dashboard/widget_settings.html",
        status_code=status_code,
        current=current,
        features=features,
        lines=request.state.menu.lines,
        **context,
    )


@router.get("/widget/settings")
async def widget_settings_page(
    request: Request, principal: WebUser, session: SessionDep, saved: bool = False
) -> Response:
    current = await service.widget_settings(session, principal)
    return _settings_page(request, principal, current, saved=saved)


@router.post("/widget/settings")
async def widget_settings_save(
    request: Request, _: CsrfChecked, principal: WebUser, session: SessionDep, clock: ClockDep
) -> Response:
    form = await request.form()
    line = str(form.get("line") or "").strip() or None
    pinned = [str(value) for value in form.getlist("pinned_links")]
    try:
        body = WidgetSettings(line=line, pinned_links=pinned)
        await service.save_widget_settings(session, principal, body, clock.now())
    except (LinedeskError, ValueError) as exc:
        error = (
            exc
            if isinstance(exc, LinedeskError)
            else ValidationFailed("Pin features from the list, each once", code="bad_pinned_links")
        )
        await settle(session, error)
        return _settings_page(
            request,
            principal,
            WidgetSettings.model_construct(line=line, pinned_links=pinned),
            status_code=error.status_code,
            error=error,
        )
    return redirect("/widget/settings?saved=1")
