"""/home: the employee's counters, or the manager's company at a glance above the line
picker (and the chosen line's counters)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.dashboard.pages import LineParam, home_page
from linedesk.deps import ClockDep, SessionDep
from linedesk.identity.web_auth import WebUser
from linedesk.kit.clock import ROME
from linedesk.overview.service import overview

router = APIRouter(include_in_schema=False)


@router.get("/home")
async def home(
    request: Request,
    principal: WebUser,
    session: SessionDep,
    clock: ClockDep,
    line: LineParam = None,
) -> Response:
    if not principal.profile.is_manager:
        return await home_page(request, principal, session, clock, line)
    today = clock.now().astimezone(ROME).date()
    figures = await overview(session, principal, today)
    return await home_page(request, principal, session, clock, line, overview=figures)
