"""The notification centre (every user's own notices: managers' invoices and due dates, a
holder's blocked line), the managers' notification preferences and push subscriptions."""

from fastapi import APIRouter, Response, status

from linedesk.deps import ClockDep, SessionDep, SettingsDep
from linedesk.errors import ValidationFailed
from linedesk.identity.auth import CurrentUser, Manager
from linedesk.kit.pagination import IdPath, PageParams, paged
from linedesk.messaging.channels.webpush import vapid_public_key
from linedesk.notifications.models import Notification
from linedesk.notifications.preferences import (
    Preferences,
    set_preferences,
    switches_of,
)
from linedesk.notifications.repository import NotificationRepository
from linedesk.notifications.schemas import (
    ChannelSwitches,
    MarkedRead,
    NotificationPreferences,
    NotificationRead,
    PreferenceChanges,
    PushKey,
    PushSubscriptionIn,
    PushSubscriptionRead,
    UnreadCount,
)
from linedesk.notifications.service import mark_one_read, subscribe_push
from linedesk.notifications.texts import describe

router = APIRouter(tags=["notifications"])
UNREAD_HEADER = "X-Unread-Count"


def notification_read(notification: Notification, language: str) -> NotificationRead:
    title, body = describe(notification.kind, notification.params, language)
    return NotificationRead(
        id=notification.id,
        kind=notification.kind,
        title=title,
        body=body,
        params=notification.params,
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


def _preferences_read(preferences: Preferences) -> NotificationPreferences:
    return {
        kind: ChannelSwitches(in_app=s.in_app, email=s.email, push=s.push)
        for kind, s in preferences.items()
    }


@router.get("/notifications", response_model=list[NotificationRead])
async def list_notifications(
    principal: CurrentUser,
    session: SessionDep,
    response: Response,
    page: PageParams,
    unread: bool = False,
) -> list[NotificationRead]:
    """The caller's notifications, newest first (`unread=true`: only the unread ones). The
    unread count is in the `X-Unread-Count` header, the total in `X-Total-Count`."""
    repo = NotificationRepository(session, principal.user.id)
    items, total = await repo.page(page, unread_only=unread)
    response.headers[UNREAD_HEADER] = str(await repo.unread_count())
    language = principal.user.language
    return paged(response, [notification_read(n, language) for n in items], total)


@router.get("/notifications/unread-count", response_model=UnreadCount)
async def unread_count(principal: CurrentUser, session: SessionDep) -> UnreadCount:
    """How many of the caller's notifications are unread (the badge)."""
    return UnreadCount(
        unread=await NotificationRepository(session, principal.user.id).unread_count()
    )


@router.post("/notifications/read-all", response_model=MarkedRead)
async def read_all(principal: CurrentUser, session: SessionDep, clock: ClockDep) -> MarkedRead:
    """Mark every notification of the caller read."""
    marked = await NotificationRepository(session, principal.user.id).mark_all_read(clock.now())
    return MarkedRead(marked=marked, unread=0)


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead)
async def read_one(
    principal: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    notification_id: IdPath,
) -> NotificationRead:
    """Mark one of the caller's notifications read (again: no change). Anyone else's: 404."""
    notification = await mark_one_read(session, principal.user.id, notification_id, clock.now())
    repo = NotificationRepository(session, principal.user.id)
    response.headers[UNREAD_HEADER] = str(await repo.unread_count())
    return notification_read(notification, principal.user.language)


@router.get("/me/notification-preferences", response_model=NotificationPreferences)
async def get_preferences(principal: Manager, session: SessionDep) -> NotificationPreferences:
    """Channels per kind: `in_app`, `email`, `push`. All on by default except push."""
    found = await switches_of(session, {principal.user.id})
    return _preferences_read(found[principal.user.id])


@router.put("/me/notification-preferences", response_model=NotificationPreferences)
async def put_preferences(
    principal: Manager, session: SessionDep, clock: ClockDep, body: PreferenceChanges
) -> NotificationPreferences:
    """Switch channels per kind; kinds and channels not given keep their setting."""
    changes = {kind: c.model_dump(exclude_none=True) for kind, c in body.items()}
    if not any(changes.values()):
        raise ValidationFailed("Give at least one kind and channel to switch")
    return _preferences_read(await set_preferences(session, principal.user, changes, clock.now()))


@router.get("/push/key", response_model=PushKey)
async def push_key(settings: SettingsDep) -> PushKey:
    """The server's VAPID public key: the `applicationServerKey` a browser subscribes with.
    `null` when this server sends no push."""
    return PushKey(public_key=vapid_public_key(settings))


@router.post(
    "/me/push-subscriptions",
    response_model=PushSubscriptionRead,
    status_code=status.HTTP_201_CREATED,
)
async def add_push_subscription(
    principal: CurrentUser, session: SessionDep, clock: ClockDep, body: PushSubscriptionIn
) -> PushSubscriptionRead:
    """Store this browser's Web Push subscription; push messages go to every subscription
    of the caller: a manager's notifications (when push is switched on for the kind), an
    employee's usage alerts (unless push is switched off for them)."""
    found = await subscribe_push(session, principal.user, body, clock.now())
    return PushSubscriptionRead.model_validate(found)
