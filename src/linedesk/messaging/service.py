"""Messaging operations: put a message in the outbox (flush only, the caller commits)."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import ValidationFailed
from linedesk.messaging.models import Channel, OutboxMessage, OutboxStatus, PushSubscription
from linedesk.messaging.repository import OutboxRepository, PushSubscriptionRepository
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


def endpoint_digest(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


async def save_push_subscription(
    session: AsyncSession,
    company_id: int,
    user_id: int,
    endpoint: str,
    p256dh: str,
    auth: str,
    now: datetime,
) -> PushSubscription:
    """Store a browser's subscription; the same endpoint again replaces its keys and owner
    (a browser shared by two users pushes to whoever subscribed last)."""
    return await PushSubscriptionRepository(session).save(
        company_id, user_id, endpoint, endpoint_digest(endpoint), p256dh, auth, now
    )


async def remove_push_subscription(session: AsyncSession, user_id: int, endpoint: str) -> int:
    """Forget one of the user's browsers (unsubscribed there); anyone else's stays."""
    return await PushSubscriptionRepository(session).delete(user_id, endpoint_digest(endpoint))


async def push_recipients(session: AsyncSession, user_ids: set[int]) -> dict[int, list[str]]:
    """Each user's subscriptions as the push channel's recipient: the PushSubscription JSON."""
    out: dict[int, list[str]] = {}
    if not user_ids:
        return out
    for user_id, endpoint, p256dh, auth in await PushSubscriptionRepository(session).of_users(
        user_ids
    ):
        out.setdefault(user_id, []).append(
            json.dumps({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
        )
    return out
