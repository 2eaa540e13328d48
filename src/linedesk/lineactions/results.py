"""The provisioning system's answer to a request: `done` applies the change to the line,
`failed` leaves the line as it was. Both are final, audited, and idempotent (the same
callback twice changes nothing). Flushes only: the callback's request commits."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.config import Settings
from linedesk.errors import Conflict, NotFound, ValidationFailed
from linedesk.inventory.models import LineStatus
from linedesk.inventory.schemas import SimSwap
from linedesk.inventory.service import ImportContext, swap_sim
from linedesk.kit.repository import Scope
from linedesk.lineactions import esim, offers
from linedesk.lineactions.audit import audit_outcome
from linedesk.lineactions.models import (
    LineRequest,
    OfferChange,
    RequestKind,
    RequestState,
    SimKind,
)
from linedesk.lineactions.offers import schedule_offer_change
from linedesk.lineactions.repository import (
    ControlRepository,
    LineRequestRepository,
    OfferChangeRepository,
)
from linedesk.lineactions.requests import control_of
from linedesk.lineactions.schemas import ProvisioningCallback
from linedesk.notifications.service import Manager, notify_line_blocked

FINAL = (RequestState.done, RequestState.failed)
SECRET_RESULTS = {"puk", "matching_id"}  # kept out of the stored result and the audit log


async def complete(
    session: AsyncSession, settings: Settings, now: datetime, callback: ProvisioningCallback
) -> LineRequest:
    """Finish a request as the provisioning system reports it."""
    repo = LineRequestRepository(session, Scope.operator())
    request = await repo.get_for_update(callback.request_id)
    if request is None or request.idempotency_key != callback.idempotency_key:
        raise NotFound("No such request")
    msisdn = request.line.msisdn  # read now: a rolled-back change expires the line
    status = RequestState(callback.status)
    if request.state in FINAL:
        if request.state is status:
            return request  # the same answer again (a retried callback): nothing to do
        raise Conflict(f"The request is already {request.state.value}", code="already_final")
    if status is RequestState.done:
        try:
            await _apply(session, settings, now, request, callback.result)
        except (ValidationFailed, ValidationError) as exc:
            status, callback.reason = RequestState.failed, f"invalid result: {exc}"[:500]
    request.state = status
    request.reason = (
        (callback.reason or "refused by the network")[:500]
        if status is RequestState.failed
        else request.reason
    )
    request.result = {k: v for k, v in callback.result.items() if k not in SECRET_RESULTS}
    request.completed_at = request.updated_at = now
    request.claimed_at = None
    reason = request.reason if status is RequestState.failed else None
    await audit_outcome(session, now, request, status, msisdn=msisdn, reason=reason)
    await session.flush()
    return request


async def _apply(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    request: LineRequest,
    result: dict[str, Any],
) -> None:
    """The change the network made, now true of the line too."""
    line = request.line
    payload = request.payload
    control = await control_of(session, line)
    kind = request.kind
    if kind is RequestKind.block:
        line.status = LineStatus.suspended
        control.block_reason = payload["reason"]
        control.blocked_at = now
        await _tell_blocked(session, now, request)
    elif kind is RequestKind.unblock:
        line.status = LineStatus.active
        control.block_reason, control.blocked_at = None, None
    elif kind is RequestKind.services:
        for name, value in payload.items():
            setattr(control, name, bool(value))
    elif kind is RequestKind.spending_cap:
        amount = payload.get("amount")
        control.spending_cap = None if amount is None else Decimal(amount)
    elif kind in (RequestKind.bar, RequestKind.unbar):
        control.cap_barred = kind is RequestKind.bar
    elif kind in (RequestKind.sim_replacement, RequestKind.esim_reissue):
        await _new_sim(session, ImportContext(settings.secret_key, now), request, result)
        if line.status is LineStatus.suspended and control.block_reason is not None:
            line.status = LineStatus.active  # the lost SIM is dead; the new one works
            control.block_reason, control.blocked_at = None, None
    elif kind is RequestKind.offer_change:
        await _schedule_offer(session, now, request)
    control.updated_at = now


async def _new_sim(
    session: AsyncSession, ctx: ImportContext, request: LineRequest, result: dict[str, Any]
) -> None:
    """A replacement is a SIM change (new ICCID and PUK, today's date: SMS recovery is then
    refused for 72 hours); an eSIM's activation code waits to be shown once."""
    if request.kind is RequestKind.sim_replacement or result.get("iccid"):
        swap = SimSwap.model_validate({"iccid": result.get("iccid"), "puk": result.get("puk")})
        await swap_sim(session, Scope.company(request.company_id), request.line.msisdn, swap, ctx)
    if request.payload.get("sim_kind") == SimKind.esim.value:
        await esim.store(
            session,
            ctx.secret_key,
            ctx.now,
            request,
            str(result.get("smdp_address") or ""),
            str(result.get("matching_id") or ""),
        )


async def _schedule_offer(session: AsyncSession, now: datetime, request: LineRequest) -> None:
    """The new offer from its first day; a change still waiting for its day is replaced."""
    line = request.line
    repo = OfferChangeRepository(session)
    pending = await repo.pending_of(line.id)
    if pending is not None:
        await session.delete(pending)
    change = OfferChange(
        company_id=line.company_id,
        line_id=line.id,
        request_id=request.id,
        from_offer_id=line.offer_id,
        to_offer_id=int(request.payload["offer_id"]),
        effective_from=date.fromisoformat(request.payload["effective_from"]),
        created_at=now,
    )
    session.add(change)
    await session.flush()
    # The line's offer history, which the daily job applies and the billing run reads.
    await schedule_offer_change(
        session,
        now,
        line,
        change.to_offer_id,
        effective_from=change.effective_from,
        user_id=request.actor_id,
    )
    await apply_due_offer_changes(session, now)


async def apply_due_offer_changes(session: AsyncSession, now: datetime) -> int:
    """Lines follow the offers whose first day has come (the daily job; idempotent)."""
    return await offers.apply_due_offer_changes(session, now)


async def _tell_blocked(session: AsyncSession, now: datetime, request: LineRequest) -> None:
    holders = [Manager(*row) for row in await ControlRepository(session).holders(request.line_id)]
    await notify_line_blocked(
        session,
        now,
        company_id=request.company_id,
        request_id=request.id,
        msisdn=request.line.msisdn,
        reason=request.payload["reason"],
        holders=holders,
    )
