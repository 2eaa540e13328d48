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


@dataclass(frozen=True)
class NewMessage:
    """A message to store (the arguments of `enqueue`)."""

    channel: Channel
    recipient: str
    template: str
    language: str
    payload: dict[str, Any]
    company_id: int | None = None


def _check(channel: Channel, template: str, language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationFailed(f"Unsupported language: {language}")
    if not template_exists(template, channel):
        raise ValidationFailed(f"No {channel.value} template named {template}")


def _row(
    message: NewMessage, now: datetime, attachments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The outbox row of `message`, due at once."""
    return vars(message) | {
        "attachments": attachments or [],
        "status": OutboxStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


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
    _check(channel, template, language)
    new = NewMessage(channel, recipient, template, language, payload, company_id)
    message = OutboxMessage(**_row(new, now, attachments))
    session.add(message)
    if flush:  # many messages at once: the caller flushes them together
        await session.flush()
    return message


async def enqueue_many(
    session: AsyncSession, messages: Sequence[NewMessage], *, now: datetime
) -> None:
    """`enqueue` for many messages at once (an import's alerts): each template and language
    checked once, the rows written by one bulk INSERT, no object per message. Flushes."""
    checked: set[tuple[Channel, str, str]] = set()
    for message in messages:
        key = (message.channel, message.template, message.language)
        if key not in checked:
            _check(*key)
            checked.add(key)
    if messages:
        await OutboxRepository(session).add_many([_row(m, now) for m in messages])


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
