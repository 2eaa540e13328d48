"""The development mailbox page: what the app would have sent, newest first."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.messaging.api import DevelopmentOnly
from linedesk.messaging.repository import MailboxRepository
from linedesk.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/dev/outbox")
async def mailbox(request: Request, _: DevelopmentOnly, session: SessionDep) -> Response:
    messages = await MailboxRepository(session).newest(limit=100)
    return render(request, "messages/dev_outbox.html", messages=messages)
