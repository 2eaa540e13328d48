"""Every channel behind one small interface, chosen by configuration."""

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.messaging.attachments import Attachment
from linedesk.messaging.models import Channel
from linedesk.messaging.templates import RenderedMessage


@dataclass(frozen=True)
class Outgoing:
    """One message ready for its gateway."""

    channel: Channel
    recipient: str
    content: RenderedMessage
    attachments: list[Attachment] = field(default_factory=list)
    # The same for every attempt at one outbox message (its id and creation time), so a
    # message delivered twice (at least once) is recognisably the same one.
    key: str = ""


class Sender(Protocol):
    async def send(self, message: Outgoing) -> None:
        """Deliver the message or raise: any exception means try again later."""

    async def close(self) -> None: ...


class ChannelNotConfigured(Exception):
    pass


def build_senders(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> dict[Channel, Sender]:
    """The senders this configuration asks for; a channel without one is not configured."""
    if settings.captures_messages:
        from linedesk.messaging.channels.capture import CaptureSender

        capture = CaptureSender(sessionmaker)
        return {channel: capture for channel in Channel}
    senders: dict[Channel, Sender] = {}
    if settings.smtp_host:
        from linedesk.messaging.channels.smtp import SmtpSender

        senders[Channel.email] = SmtpSender.from_settings(settings)
    if settings.smpp_host:
        from linedesk.messaging.channels.smpp import SmppSender

        senders[Channel.sms] = SmppSender.from_settings(settings)
    if settings.vapid_private_key:
        from linedesk.messaging.channels.webpush import WebPushSender

        senders[Channel.push] = WebPushSender.from_settings(settings)
    return senders
