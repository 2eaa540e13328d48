"""Response models of the development mailbox."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from linedesk.messaging.models import Channel


class CapturedMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: Channel
    recipient: str
    subject: str | None
    text: str
    attachments: list[dict[str, Any]]
    time: datetime
