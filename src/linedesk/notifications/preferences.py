"""A manager's notification settings: channels per kind (their browsers' push
subscriptions are messaging's)."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.models import User
from linedesk.notifications.models import NotificationKind
from linedesk.notifications.repository import PreferenceRepository


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
    for row in await PreferenceRepository(session).preferences(user_ids):
        out[row.user_id][row.kind] = Switches(row.in_app, row.email, row.push)
    return out


async def set_preferences(
    session: AsyncSession,
    user: User,
    changes: Mapping[NotificationKind, Mapping[str, bool]],
    now: datetime,
) -> Preferences:
    """Apply the switches given (per kind, per channel); the others stay as they were."""
    current = (await switches_of(session, {user.id}))[user.id]
    for kind, channels in changes.items():
        current[kind] = replace(current[kind], **channels)
        switches = current[kind]
        await PreferenceRepository(session).save(
            user,
            kind,
            {"in_app": switches.in_app, "email": switches.email, "push": switches.push},
            now,
        )
    await session.flush()
    return current
