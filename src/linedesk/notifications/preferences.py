"""A manager's notification settings: channels per kind, and their browsers' push
subscriptions."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.models import User
from linedesk.notifications.models import (
    NotificationKind,
    NotificationPreference,
    PushSubscription,
)


@dataclass(frozen=True)
class Switches:
    """Which channels a kind goes to; by default all but push (which needs a browser's
    permission first)."""

    in_app: bool = True
    email: bool = True
    push: bool = False


Preferences = dict[NotificationKind, Switches]


def defaults() -> Preferences:
    return {kind: Switches() for kind in NotificationKind}


async def switches_of(session: AsyncSession, user_ids: set[int]) -> dict[int, Preferences]:
    out = {user_id: defaults() for user_id in user_ids}
    if not user_ids:
        return out
    rows = await session.scalars(select(NotificationPreference)
                                 .where(NotificationPreference.user_id.in_(user_ids)))
    for row in rows:
        out[row.user_id][row.kind] = Switches(row.in_app, row.email, row.push)
    return out


def _dialect(session: AsyncSession) -> Any:
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


async def set_preferences(session: AsyncSession, user: User,
                          changes: Mapping[NotificationKind, Mapping[str, bool]],
                          now: datetime) -> Preferences:
    """Apply the switches given (per kind, per channel); the others stay as they were."""
    current = (await switches_of(session, {user.id}))[user.id]
    for kind, channels in changes.items():
        current[kind] = replace(current[kind], **channels)
        switches = current[kind]
        statement = _dialect(session).insert(NotificationPreference).values(
            user_id=user.id, kind=kind, company_id=user.company_id, in_app=switches.in_app,
            email=switches.email, push=switches.push, updated_at=now)
        await session.execute(statement.on_conflict_do_update(
            index_elements=["user_id", "kind"],
            set_={"in_app": switches.in_app, "email": switches.email, "push": switches.push,
                  "updated_at": now}))
    await session.flush()
    return current


async def save_push_subscription(session: AsyncSession, user: User, endpoint: str,
                                 p256dh: str, auth: str, now: datetime) -> PushSubscription:
    """Store a browser's subscription; the same endpoint again replaces its keys and owner
    (a browser shared by two managers pushes to whoever subscribed last)."""
    digest = hashlib.sha256(endpoint.encode()).hexdigest()
    statement = _dialect(session).insert(PushSubscription).values(
        company_id=user.company_id, user_id=user.id, endpoint=endpoint,
        endpoint_digest=digest, p256dh=p256dh, auth=auth, created_at=now)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["endpoint_digest"],
        set_={"company_id": user.company_id, "user_id": user.id, "p256dh": p256dh,
              "auth": auth}))
    found = await session.scalar(select(PushSubscription)
                                 .where(PushSubscription.endpoint_digest == digest)
                                 .execution_options(populate_existing=True))
    assert found is not None
    return found
