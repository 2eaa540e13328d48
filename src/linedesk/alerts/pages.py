"""The page of usage alerts (SPEC R-U4): the alerts sent for the user's line (the in-app
channel), which kinds and channels they get, and the control that turns push on."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.alerts.service import (
    CHANNELS,
    alert_channels,
    alert_switches,
    recent_alerts,
    set_alert_switches,
)
from linedesk.deps import ClockDep, SessionDep
from linedesk.identity.web_auth import WebUser
from linedesk.messaging.channels.webpush import vapid_public_key
from linedesk.usage.models import AlertKind
from linedesk.web.csrf import CsrfChecked
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    AlertKind.data_80: "80% of the data used",
    AlertKind.data_100: "All the data used",
    AlertKind.voice_80: "80% of the minutes used",
    AlertKind.voice_100: "All the minutes used",
    AlertKind.sms_80: "80% of the SMS used",
    AlertKind.sms_100: "All the SMS used",
    AlertKind.roaming_data_80: "80% of the EU roaming data used",
    AlertKind.roaming_data_100: "All the EU roaming data used",
    AlertKind.low_credit: "Low credit",
    AlertKind.roaming_first_use: "First use in EU roaming",
    AlertKind.roaming_bill_shock: "Roaming charges over the threshold",
}
CHANNEL_LABELS = {"in_app": "In the app", "sms": "SMS", "push": "Push"}


@router.get("/alerts")
async def alerts_page(
    request: Request, principal: WebUser, session: SessionDep, saved: bool = False
) -> Response:
    user = principal.user
    channels = await alert_channels(session, user)
    line_id = user.main_line_id
    sent = await recent_alerts(session, line_id) if line_id and channels["in_app"] else []
    return render(
        request,
        "alerts/page.html",
        sent=sent,
        kinds=await alert_switches(session, user),
        channels=channels,
        kind_labels=KIND_LABELS,
        channel_labels=CHANNEL_LABELS,
        saved=saved,
        push_key=vapid_public_key(request.app.state.settings),
    )


@router.post("/alerts")
async def save_alerts(
    request: Request, _: CsrfChecked, principal: WebUser, session: SessionDep, clock: ClockDep
) -> Response:
    """Every checkbox of the form: a kind or channel is on when its box was sent."""
    form = await request.form()
    kinds = {kind: f"kind.{kind.value}" in form for kind in AlertKind}
    channels = {channel: f"channel.{channel}" in form for channel in CHANNELS}
    await set_alert_switches(session, principal.user, kinds, clock.now(), channels=channels)
    return redirect("/alerts?saved=true")
