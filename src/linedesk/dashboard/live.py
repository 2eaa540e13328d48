"""Server-Sent Events that tell a page its line's counters changed (home, usage, widgets):
the page then reads itself again (static/live.js). Changes come from the live bus, after the
import that made them committed, in whichever process it ran."""

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from linedesk.dashboard import service
from linedesk.deps import ClockDep, SessionDep
from linedesk.identity.web_auth import WebUser
from linedesk.kit.live import LiveBus

router = APIRouter(include_in_schema=False)
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 3000


def _event(msisdn: str, updated_at: datetime | None = None) -> str:
    data = {"line": msisdn, "updated_at": updated_at.isoformat() if updated_at else None}
    return f"event: counters\ndata: {json.dumps(data)}\n\n"


@router.get("/events/counters")
async def counters_events(
    request: Request,
    principal: WebUser,
    session: SessionDep,
    clock: ClockDep,
    line: Annotated[str, Query(max_length=20)],
    since: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """`counters` events for a line the user may read; one at once when its counters changed
    after `since` (the time the page showed), so a change while connecting is not lost."""
    summary = await service.summary(session, principal, line, clock.now())
    current = summary.updated_at.isoformat() if summary.updated_at else ""
    missed = current != since
    bus: LiveBus = request.app.state.live

    async def events() -> AsyncIterator[str]:
        async with bus.subscribe(summary.msisdn) as changes:
            yield f"retry: {RETRY_MS}\n\n"
            if missed:
                yield _event(summary.msisdn, summary.updated_at)
            while True:
                if await changes.changed(within=KEEPALIVE_SECONDS):
                    yield _event(summary.msisdn)
                else:
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
