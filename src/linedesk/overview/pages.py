"""/home: the employee's counters, or the manager's company at a glance above the line
picker (and the chosen line's counters)."""

from fastapi import APIRouter
from starlette.responses import Response

from linedesk.dashboard.pages import LinePageDep, home_page
from linedesk.kit.clock import ROME
from linedesk.overview.service import overview

router = APIRouter(include_in_schema=False)


@router.get("/home")
async def home(asked: LinePageDep) -> Response:
    if not asked.principal.profile.is_manager:
        return await home_page(asked)
    today = asked.clock.now().astimezone(ROME).date()
    figures = await overview(asked.session, asked.principal, today)
    return await home_page(asked, overview=figures)
