"""JSON routes of the development mailbox (present only in development)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from linedesk.deps import SessionDep, SettingsDep
from linedesk.errors import NotFound
from linedesk.kit.pagination import PageParams, paged
from linedesk.kit.schemas import attributes
from linedesk.messaging.models import CapturedMessage
from linedesk.messaging.repository import MailboxRepository
from linedesk.messaging.schemas import CapturedMessageRead


async def require_development(settings: SettingsDep) -> None:
    """The mailbox does not exist outside development: 404, as for any unknown path."""
    if settings.is_production:
        raise NotFound("Not Found")


DevelopmentOnly = Annotated[None, Depends(require_development)]

router = APIRouter(prefix="/dev", tags=["development"])


def to_read(message: CapturedMessage) -> CapturedMessageRead:
    names = ("id", "channel", "recipient", "subject", "text", "attachments")
    return CapturedMessageRead(time=message.created_at, **attributes(message, *names))


@router.get("/outbox", response_model=list[CapturedMessageRead])
async def list_captured(
    _: DevelopmentOnly, session: SessionDep, page: PageParams, response: Response
) -> list[CapturedMessageRead]:
    """Messages captured instead of being sent, newest first (development only)."""
    repository = MailboxRepository(session)
    messages = await repository.newest(limit=page.limit, offset=page.offset)
    return paged(response, [to_read(m) for m in messages], await repository.count())
