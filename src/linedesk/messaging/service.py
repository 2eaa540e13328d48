"""Messaging operations: put a message in the outbox (flush only, the caller commits)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import ValidationFailed
from linedesk.messaging.models import Channel, OutboxMessage, OutboxStatus
from linedesk.messaging.repository import OutboxRepository
from linedesk.messaging.templates import LANGUAGES, template_exists


async def enqueue(
    session: AsyncSession,
    channel: Channel,
    recipient: str,
    template: str,
    language: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    attachments: list[dict[str, Any]] | None = None,
    company_id: int | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Store a message in the caller's transaction: if that rolls back, nothing is sent."""
    if language not in LANGUAGES:
        raise ValidationFailed(f"Unsupported language: {language}")
    if not template_exists(template, channel):
        raise ValidationFailed(f"No {channel.value} template named {template}")
    message = OutboxMessage(
        company_id=company_id,
        channel=channel,
        recipient=recipient,
        template=template,
        language=language,
        payload=payload,
        attachments=attachments or [],
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    if flush:  # many messages at once: the caller flushes them together
        await session.flush()
    return message


@dataclass(frozen=True)
class NewMessage:
    """A message for `enqueue_many` (the arguments of `enqueue`)."""

    channel: Channel
    recipient: str
    template: str
    language: str
    payload: dict[str, Any]
    company_id: int | None = None


async def enqueue_many(
    session: AsyncSession, messages: Sequence[NewMessage], *, now: datetime
) -> None:
    """`enqueue` for many messages at once (an import's alerts): each template and language
    checked once, the rows written by one bulk INSERT, no object per message. Flushes."""
    checked: set[tuple[Channel, str, str]] = set()
    for message in messages:
        key = (message.channel, message.template, message.language)
        if key in checked:
            continue
        if message.language not in LANGUAGES:
            raise ValidationFailed(f"Unsupported language: {message.language}")
        if not template_exists(message.template, message.channel):
            raise ValidationFailed(f"No {message.channel.value} template named {message.template}")
        checked.add(key)
    if messages:
        await OutboxRepository(session).add_many(
            [
                {
                    "company_id": m.company_id,
                    "channel": m.channel,
                    "recipient": m.recipient,
                    "template": m.template,
                    "language": m.language,
                    "payload": m.payload,
                    "attachments": [],
                    "status": OutboxStatus.pending,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for m in messages
            ],
        )
