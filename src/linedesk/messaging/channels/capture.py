"""The development mailbox: stores what would have been sent instead of sending it."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.kit.clock import utcnow
from linedesk.messaging.channels import Outgoing
from linedesk.messaging.models import CapturedMessage


class CaptureSender:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def send(self, message: Outgoing) -> None:
        attachments = [
            {"filename": a.filename, "content_type": a.content_type, "size": len(a.content)}
            for a in message.attachments
        ]
        async with self.sessionmaker() as session, session.begin():
            session.add(
                CapturedMessage(
                    channel=message.channel,
                    recipient=message.recipient,
                    subject=message.content.subject,
                    text=message.content.text,
                    html=message.content.html,
                    attachments=attachments,
                    created_at=utcnow(),
                )
            )

    async def close(self) -> None:
        return None
