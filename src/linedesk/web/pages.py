"""Pages of the web shell: the landing page the next features fill."""

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.web.session import Visitor, redirect
from linedesk.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def landing(request: Request, visitor: Visitor) -> Response:
    if visitor is not None:
        return redirect("/home")
    return render(request, "home/landing.html", sample_amount=Decimal("1234.56"),
                  sample_date=date(2026, 10, 1))
