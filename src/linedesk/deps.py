"""Typed dependencies shared by every router: the request's session, clock and settings."""

from typing import Annotated

from fastapi import Depends, Request, params
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.config import Settings
from linedesk.db import get_read_session, get_session
from linedesk.errors import NOT_ONE_LINE, NOT_ONE_LINE_REASON, ValidationFailed
from linedesk.kit.clock import Clock
from linedesk.kit.ratelimit import RateLimiter


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
# For a route that only reads (and every dependency of it takes this one, not SessionDep: two
# would be two sessions): its statements commit as they run, with no BEGIN and COMMIT.
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
ClockDep = Annotated[Clock, Depends(_clock)]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


LimiterDep = Annotated[RateLimiter, Depends(_limiter)]


def _takes_a_form(request: Request) -> bool:
    body = getattr(request.scope.get("route"), "body_field", None)
    return body is not None and isinstance(body.field_info, params.Form)


async def reject_control_characters(request: Request) -> None:
    """The one-line rule of every JSON text field (kit.schemas), for the texts that reach a
    route as plain strings: path and query parameters, and the fields of a page's form."""
    texts = [(f"path.{name}", name, value) for name, value in request.path_params.items()]
    texts += [(f"query.{name}", name, value) for name, value in request.query_params.multi_items()]
    if _takes_a_form(request):  # already parsed by FastAPI: this reads no body
        form = await request.form()
        texts += [(f"form.{name}", name, value) for name, value in form.multi_items()]
    bad = [
        NOT_ONE_LINE.sub("?", field)
        for field, name, value in texts
        if NOT_ONE_LINE.search(name) or (isinstance(value, str) and NOT_ONE_LINE.search(value))
    ]
    if bad:
        raise ValidationFailed(
            "Control characters and line breaks are not allowed in the text sent",
            details=[{"field": field, "reason": NOT_ONE_LINE_REASON} for field in bad],
        )
