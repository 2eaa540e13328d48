"""Pages of the notification centre: every user's list with mark-read; the managers'
preferences;
and where any signed-in user's browser stores its push subscription (static/push.js)."""

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import ValidationFailed
from linedesk.identity.web_auth import WebManager, WebUser
from linedesk.kit.i18n import pick_language
from linedesk.kit.pagination import IdPath, Page
from linedesk.messaging.channels.webpush import vapid_public_key
from linedesk.notifications.models import NotificationChannel, NotificationKind
from linedesk.notifications.preferences import set_preferences, switches_of
from linedesk.notifications.repository import NotificationRepository
from linedesk.notifications.schemas import PushSubscriptionIn
from linedesk.notifications.service import mark_one_read, subscribe_push
from linedesk.notifications.texts import CHANNEL_LABELS, KIND_LABELS, describe
from linedesk.web.csrf import CsrfChecked
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/notifications")
async def notifications_page(
    request: Request, principal: WebUser, session: SessionDep, saved: bool = False
) -> Response:
    repo = NotificationRepository(session, principal.user.id)
    items, total = await repo.page(Page(offset=0, limit=PAGE_SIZE))
    lang = pick_language(request, request.app.state.settings.default_language)
    shown: list[dict[str, Any]] = []
    for item in items:
        title, body = describe(item.kind, item.params, lang)
        shown.append(
            {
                "id": item.id,
                "title": title,
                "body": body,
                "created_at": item.created_at,
                "unread": item.read_at is None,
            }
        )
    return render(
        request,
        "notifications/list.html",
        notifications=shown,
        total=total,
        unread_notifications=await repo.unread_count(),
        saved=saved,
        preferences=principal.profile.is_manager,
    )


@router.post("/notifications/read-all")
async def read_all(
    _: CsrfChecked, principal: WebUser, session: SessionDep, clock: ClockDep
) -> Response:
    await NotificationRepository(session, principal.user.id).mark_all_read(clock.now())
    return redirect("/notifications")


@router.post("/notifications/{notification_id}/read")
async def read_one(
    _: CsrfChecked,
    principal: WebUser,
    session: SessionDep,
    clock: ClockDep,
    notification_id: IdPath,
) -> Response:
    await mark_one_read(session, principal.user.id, notification_id, clock.now())
    return redirect(f"/notifications#n{notification_id}")


@router.get("/notifications/preferences")
async def preferences_page(
    request: Request, principal: WebManager, session: SessionDep, saved: bool = False
) -> Response:
    preferences = (await switches_of(session, {principal.user.id}))[principal.user.id]
    repo = NotificationRepository(session, principal.user.id)
    return render(
        request,
        "notifications/preferences.html",
        preferences=preferences,
        kinds=KIND_LABELS,
        channels=CHANNEL_LABELS,
        saved=saved,
        unread_notifications=await repo.unread_count(),
        push_key=vapid_public_key(request.app.state.settings),
    )


@router.post("/notifications/preferences")
async def save_preferences(
    request: Request, _: CsrfChecked, principal: WebManager, session: SessionDep, clock: ClockDep
) -> Response:
    """Every checkbox of the form: a kind's channel is on when its box was sent."""
    form = await request.form()
    changes = {
        kind: {
            channel.value: f"{kind.value}.{channel.value}" in form
            for channel in NotificationChannel
        }
        for kind in NotificationKind
    }
    await set_preferences(session, principal.user, changes, clock.now())
    return redirect("/notifications/preferences?saved=true")


@router.post("/push-subscriptions", status_code=204)
async def add_push_subscription(
    request: Request, _: CsrfChecked, principal: WebUser, session: SessionDep, clock: ClockDep
) -> Response:
    """This browser's PushSubscription (endpoint and keys), posted by static/push.js."""
    form = await request.form()
    try:
        body = PushSubscriptionIn.model_validate(
            {
                "endpoint": form.get("endpoint"),
                "keys": {"p256dh": form.get("p256dh"), "auth": form.get("auth")},
            }
        )
    except ValidationError as error:
        raise ValidationFailed("Not a push subscription") from error
    await subscribe_push(session, principal.user, body, clock.now())
    return Response(status_code=204)
