"""The user's usage-alert switches (SPEC R-U4): /me/usage-alerts."""

from fastapi import APIRouter

from linedesk.alerts.schemas import AlertSwitches, AlertSwitchesUpdate
from linedesk.alerts.service import alert_switches, set_alert_switches
from linedesk.deps import ClockDep, SessionDep
from linedesk.identity.auth import CurrentUser

router = APIRouter(tags=["usage alerts"])


@router.get("/me/usage-alerts", response_model=AlertSwitches)
async def get_switches(principal: CurrentUser, session: SessionDep) -> AlertSwitches:
    """Which usage alerts you receive: 80 % and 100 % of each allowance, low credit, first
    EU-roaming use and roaming charges over the threshold. All are on until you switch
    them off."""
    return AlertSwitches(kinds=await alert_switches(session, principal.user))


@router.put("/me/usage-alerts", response_model=AlertSwitches)
async def put_switches(
    body: AlertSwitchesUpdate, principal: CurrentUser, session: SessionDep, clock: ClockDep
) -> AlertSwitches:
    """Switch usage alerts on or off; a switched-off alert is not sent (nor counted as
    sent, so switching it back on later in the period still lets it arrive)."""
    kinds = await set_alert_switches(session, principal.user, body.kinds, clock.now())
    return AlertSwitches(kinds=kinds)
