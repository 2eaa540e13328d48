"""Messaging operations: put a message in the outbox (flush only, the caller commits)."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import ValidationFailed
from linedesk.messaging.models import Channel, OutboxMessage, OutboxStatus
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
        company_id=company_id, channel=channel, recipient=recipient, template=template,
        language=language, payload=payload, attachments=attachments or [],
        status=OutboxStatus.pending, attempts=0, next_attempt_at=now, created_at=now,
    )
    session.add(message)
    if flush:  # many messages at once: the caller flushes them together
        await session.flush()
    return message
