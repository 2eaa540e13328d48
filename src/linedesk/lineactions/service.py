"""Line actions (SPEC R-L1…R-L6), the operations behind the API and the pages.

Every action checks who may do it on which line, then stores a request (its own outbox
entry) in the caller's transaction and answers with it; the line itself changes only when
the provisioning system reports the request done (`results.complete`). Flushes only."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.errors import Conflict, Forbidden, ValidationFailed
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.principal import Principal
from linedesk.identity.service import AuthContext
from linedesk.inventory.models import Line, LineStatus, Offer
from linedesk.inventory.repository import LineRepository
from linedesk.kit.clock import ROME
from linedesk.kit.money import Money
from linedesk.kit.repository import Scope
from linedesk.lineactions.esim import show_activation_code
from linedesk.lineactions.models import (
    BlockReason,
    LineControl,
    LinePolicy,
    LineRequest,
    RequestKind,
    SimKind,
)
from linedesk.lineactions.offers import company_catalogue, next_period, open_offer
from linedesk.lineactions.repository import ControlRepository, EsimRepository
from linedesk.lineactions.requests import (
    DEFAULTS,
    MANAGERS_ONLY,
    SERVICE_NAMES,
    VOICE_SERVICES,
    ask,
    codes_waiting,
    describe,
    find_line,
    get_request,
    list_requests,
    managed_mobile_line,
    manager_only,
    mobile_only,
    new_request,
)
from linedesk.lineactions.schemas import LineServices, ServicesUpdate

__all__ = [
    "block",
    "change_offer",
    "codes_waiting",
    "describe",
    "find_line",
    "get_policy",
    "get_request",
    "get_services",
    "list_requests",
    "offers_for",
    "reissue_esim",
    "replace_sim",
    "request_bar",
    "set_policy",
    "set_services",
    "set_spending_cap",
    "show_activation_code",
    "unblock",
]

# --- block and unblock (R-L1) --------------------------------------------------------------


async def block(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    msisdn: str,
    reason: BlockReason,
) -> LineRequest:
    """Suspend a lost or stolen SIM: an employee their own and linked lines, a manager any
    line of the company."""
    target = await find_line(session, principal, msisdn)
    line = target.line
    mobile_only(line)
    if line.status is LineStatus.suspended:
        raise Conflict("This line is already blocked", code="already_blocked")
    return await ask(
        session,
        ctx,
        principal,
        line,
        RequestKind.block,
        {"reason": reason.value},
        {"status": line.status.value},
    )


async def unblock(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    msisdn: str,
    *,
    password: str | None = None,
    hasher: PasswordHasher | None = None,
) -> LineRequest:
    """Lift a block: a manager; or the employee after confirming their password, unless the
    SIM was reported stolen (then a manager replaces it)."""
    target = await find_line(session, principal, msisdn)
    line = target.line
    control = await ControlRepository(session).control(line.id)
    if line.status is not LineStatus.suspended or control is None or control.block_reason is None:
        raise Conflict("This line is not blocked", code="not_blocked")
    if not principal.profile.is_manager:
        if control.block_reason is BlockReason.stolen:
            raise Forbidden(
                "A SIM reported stolen stays blocked until a manager replaces it",
                code="stolen_needs_replacement",
            )
        await _confirm_password(session, ctx, principal, password, hasher)
    return await ask(
        session,
        ctx,
        principal,
        line,
        RequestKind.unblock,
        {},
        {"status": line.status.value, "block_reason": control.block_reason.value},
    )


async def _confirm_password(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    password: str | None,
    hasher: PasswordHasher | None,
) -> None:
    user = principal.user
    ok = bool(password and hasher and user.password_hash)
    if ok and hasher and user.password_hash and password:
        ok = await hasher.verify(user.password_hash, password)
    if not ok:
        await record(
            session,
            "line_unblock_password_failed",
            now=ctx.now,
            company_id=user.company_id,
            user_id=user.id,
            client_ip=ctx.client_ip,
        )
        raise Forbidden(
            "Confirm with your password to unblock the line",
            code="password_required",
            keep_changes=True,
        )


# --- services (R-L3) -----------------------------------------------------------------------


async def _policy(session: AsyncSession, company_id: int) -> bool:
    policy = await ControlRepository(session).policy(company_id)
    return bool(policy and policy.employees_switch_roaming)


def _current_services(control: LineControl | None) -> dict[str, bool]:
    if control is None:
        return dict(DEFAULTS)
    return {name: bool(getattr(control, name)) for name in SERVICE_NAMES}


def _changeable(principal: Principal, data_only: bool, employees_roaming: bool) -> list[str]:
    if principal.profile.is_manager:
        names = list(SERVICE_NAMES)
    else:
        names = ["roaming"] if employees_roaming else []
    return [name for name in names if not (data_only and name in VOICE_SERVICES)]


async def get_services(session: AsyncSession, principal: Principal, msisdn: str) -> LineServices:
    target = await find_line(session, principal, msisdn)
    line = target.line
    control = await ControlRepository(session).control(line.id)
    services = _current_services(control)
    if target.data_only:
        services |= {name: False for name in VOICE_SERVICES}
    employees_roaming = await _policy(session, line.company_id)
    cap = control.spending_cap if control else None
    return LineServices(
        msisdn=line.msisdn,
        data_only=target.data_only,
        spending_cap=Money.eur(cap) if cap is not None else None,
        cap_barred=bool(control and control.cap_barred),
        blocked=line.status is LineStatus.suspended,
        block_reason=control.block_reason if control else None,
        employees_switch_roaming=employees_roaming,
        can_change=_changeable(principal, target.data_only, employees_roaming),
        **services,
    )


async def set_services(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    msisdn: str,
    update: ServicesUpdate,
) -> LineRequest:
    """Switch services: a manager any of them; an employee roaming on their own line when
    the company allows it. A data-only SIM has no voice: its voice bars are refused (422)."""
    target = await find_line(session, principal, msisdn)
    line = target.line
    mobile_only(line)
    asked = {k: v for k, v in update.model_dump().items() if v is not None}
    if target.data_only and any(name in asked for name in VOICE_SERVICES):
        raise ValidationFailed(
            "This is a data-only SIM: it has no voice service, so international calls and "
            "premium-rate services cannot be barred or allowed on it",
            code="data_only_sim",
            details=[
                {"field": name, "reason": "not available on a data-only SIM"}
                for name in VOICE_SERVICES
                if name in asked
            ],
        )
    allowed = _changeable(principal, target.data_only, await _policy(session, line.company_id))
    if any(name not in allowed for name in asked):
        raise Forbidden(MANAGERS_ONLY, code="managers_only")
    current = _current_services(await ControlRepository(session).control(line.id))
    wanted = {name: value for name, value in asked.items() if current[name] != value}
    if not wanted:
        raise ValidationFailed("The services are already so: nothing to change", code="no_change")
    return await ask(
        session,
        ctx,
        principal,
        line,
        RequestKind.services,
        wanted,
        {name: current[name] for name in wanted},
    )


async def get_policy(session: AsyncSession, principal: Principal) -> bool:
    """Whether the company lets employees switch roaming on their own lines."""
    return await _policy(session, principal.user.company_id)


async def set_policy(
    session: AsyncSession, ctx: AuthContext, principal: Principal, employees_switch_roaming: bool
) -> bool:
    manager_only(principal)
    company_id = principal.user.company_id
    policy = await ControlRepository(session).policy(company_id)
    if policy is None:
        policy = LinePolicy(company_id=company_id)
        session.add(policy)
    policy.employees_switch_roaming = employees_switch_roaming
    policy.updated_at = ctx.now
    await record(
        session,
        "line_policy_changed",
        now=ctx.now,
        company_id=company_id,
        user_id=principal.user.id,
        client_ip=ctx.client_ip,
        employees_switch_roaming=employees_switch_roaming,
    )
    return employees_switch_roaming


# --- spending cap (R-L4) -------------------------------------------------------------------


async def set_spending_cap(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    msisdn: str,
    amount: Decimal | None,
) -> LineRequest:
    """A monthly cap on the line's chargeable traffic (EUR), or none (`None`)."""
    line = await managed_mobile_line(session, principal, msisdn)
    control = await ControlRepository(session).control(line.id)
    current = control.spending_cap if control else None
    if current == amount:
        raise ValidationFailed("The cap is already so: nothing to change", code="no_change")
    return await ask(
        session,
        ctx,
        principal,
        line,
        RequestKind.spending_cap,
        {"amount": None if amount is None else f"{amount:.2f}"},
        {"amount": None if current is None else f"{current:.2f}"},
    )


async def request_bar(
    session: AsyncSession, now: datetime, line: Line, *, bar: bool, reason: str
) -> LineRequest:
    """linedesk's own request to bar (or lift the bar on) the line's chargeable traffic:
    the spending cap reached, the new period begun. No actor."""
    return await new_request(
        session,
        now,
        line,
        RequestKind.bar if bar else RequestKind.unbar,
        {"traffic": "chargeable"},
        actor_id=None,
        reason=reason,
    )


# --- SIM and eSIM (R-L2) -------------------------------------------------------------------


async def replace_sim(
    session: AsyncSession, ctx: AuthContext, principal: Principal, msisdn: str, kind: SimKind
) -> LineRequest:
    """A new physical SIM or eSIM for the line (a SIM change: SMS recovery is refused for
    72 hours after it). An eSIM's activation code is shown once, when the request is done."""
    line = await managed_mobile_line(session, principal, msisdn)
    if await LineRepository(session, Scope.company(line.company_id)).current_sim(line) is None:
        raise ValidationFailed("This line has no SIM to replace", code="no_sim")
    return await ask(
        session, ctx, principal, line, RequestKind.sim_replacement, {"sim_kind": kind.value}
    )


async def reissue_esim(
    session: AsyncSession, ctx: AuthContext, principal: Principal, msisdn: str
) -> LineRequest:
    """A new activation code for the line's eSIM; the previous one stops working."""
    line = await managed_mobile_line(session, principal, msisdn)
    if not await EsimRepository(session).valid_of(line.id):
        raise Conflict(
            "This line has no eSIM activation to re-issue: replace its SIM with an eSIM",
            code="no_esim",
        )
    return await ask(
        session, ctx, principal, line, RequestKind.esim_reissue, {"sim_kind": SimKind.esim.value}
    )


# --- offers (R-L5) -------------------------------------------------------------------------


async def offers_for(session: AsyncSession, principal: Principal) -> Sequence[Offer]:
    """The operator's catalogue open to the caller's company (mobile offers)."""
    return await company_catalogue(session, principal.user.company_id)


async def change_offer(
    session: AsyncSession, ctx: AuthContext, principal: Principal, msisdn: str, offer_id: int
) -> LineRequest:
    """Move the line to another offer of the catalogue from the first day of next month."""
    manager_only(principal)
    line = (await find_line(session, principal, msisdn)).line
    offer = await open_offer(session, line, offer_id)
    if offer is None:
        raise ValidationFailed(
            "No such offer for this line",
            code="unknown_offer",
            details=[{"field": "offer_id", "reason": "not in the line's catalogue"}],
        )
    if offer.id == line.offer_id:
        raise ValidationFailed("The line already has this offer", code="no_change")
    if line.status is LineStatus.ceased:
        raise Conflict("This line has ceased", code="line_ceased")
    effective = next_period(ctx.now.astimezone(ROME).date())
    return await ask(
        session,
        ctx,
        principal,
        line,
        RequestKind.offer_change,
        {"offer_id": offer.id, "offer_code": offer.code, "effective_from": effective.isoformat()},
        {"offer_id": line.offer_id, "offer_code": line.offer.code},
    )
