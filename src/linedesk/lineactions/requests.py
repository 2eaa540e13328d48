"""What every line action shares: finding the caller's line, the checks, storing the
request (its own outbox entry) with its audit event, and reading requests back."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import Conflict, Forbidden, NotFound, ValidationFailed
from linedesk.identity.principal import Principal, line_scope
from linedesk.identity.service import AuthContext
from linedesk.inventory.models import Line, LineStatus
from linedesk.inventory.repository import LineRepository
from linedesk.kit.pagination import Page
from linedesk.kit.phone import LineKind, number_in_path
from linedesk.kit.repository import Scope
from linedesk.lineactions.audit import audit_line
from linedesk.lineactions.models import (
    LineControl,
    LineRequest,
    RequestKind,
    RequestState,
)
from linedesk.lineactions.repository import (
    ControlRepository,
    EsimRepository,
    LineRequestRepository,
)
from linedesk.lineactions.schemas import LineRequestRead, RequestFilters

SERVICE_NAMES = ("roaming", "international_calls", "premium_services", "mobile_data")
VOICE_SERVICES = ("international_calls", "premium_services")
DEFAULTS = {"roaming": True, "international_calls": True, "premium_services": False}
DEFAULTS |= {"mobile_data": True}
MANAGERS_ONLY = "Only company managers can do this"

ALL = RequestFilters()  # no filter: every request the caller may read


@dataclass(frozen=True)
class Target:
    """A line the caller may act on, with its current SIM's kind of service."""

    line: Line
    data_only: bool


# --- finding the line ----------------------------------------------------------------------


async def find_line(session: AsyncSession, principal: Principal, msisdn: str) -> Target:
    """The caller's line by number: another company's line, or a colleague's line for an
    employee, is no line at all (404)."""
    scope = await line_scope(session, principal)
    repo = LineRepository(session, scope)
    line = await repo.get_by_msisdn(number_in_path(msisdn))
    if line is None:
        raise NotFound("No such line")
    sim = await repo.current_sim(line)
    return Target(line, bool(sim and sim.data_only))


def manager_only(principal: Principal) -> None:
    if not principal.profile.is_manager:
        raise Forbidden(MANAGERS_ONLY, code="managers_only")


def mobile_only(line: Line) -> None:
    if line.kind is not LineKind.mobile:
        raise ValidationFailed("Only a mobile line can do this", code="not_mobile")
    if line.status is LineStatus.ceased:
        raise Conflict("This line has ceased", code="line_ceased")


async def no_open(session: AsyncSession, line: Line, *kinds: RequestKind) -> None:
    repo = LineRequestRepository(session, Scope.company(line.company_id))
    if await repo.open_of(line.id, kinds) is not None:
        raise Conflict(
            "A request of this kind is already on its way for this line",
            code="request_in_progress",
        )


async def managed_mobile_line(session: AsyncSession, principal: Principal, msisdn: str) -> Line:
    """The line, for a manager's action that only a mobile line in service can take."""
    manager_only(principal)
    line = (await find_line(session, principal, msisdn)).line
    mobile_only(line)
    return line


# --- requests ------------------------------------------------------------------------------


async def new_request(
    session: AsyncSession,
    now: datetime,
    line: Line,
    kind: RequestKind,
    payload: dict[str, Any],
    *,
    actor_id: int | None,
    previous: dict[str, Any] | None = None,
    reason: str | None = None,
    client_ip: str | None = None,
) -> LineRequest:
    """Store a request for the provisioning worker, audited, in the caller's transaction."""
    request = LineRequest(
        company_id=line.company_id,
        line_id=line.id,
        kind=kind,
        payload=payload,
        state=RequestState.requested,
        reason=reason,
        idempotency_key=uuid.uuid4().hex,
        actor_id=actor_id,
        previous=previous or {},
        result={},
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    request.line = line
    session.add(request)
    await session.flush()
    await audit_line(
        session,
        line,
        f"line_request_{kind.value}",
        now=now,
        user_id=actor_id,
        client_ip=client_ip,
        request_id=request.id,
        state=request.state.value,
        **_public(payload),
    )
    return request


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in {"puk", "matching_id"}}


# Requests that exclude each other on a line; any other kind excludes only its own kind.
_BLOCKING = (RequestKind.block, RequestKind.unblock)
_SIM = (RequestKind.sim_replacement, RequestKind.esim_reissue)
EXCLUSIVE = {kind: kinds for kinds in (_BLOCKING, _SIM) for kind in kinds}


async def ask(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    line: Line,
    kind: RequestKind,
    payload: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> LineRequest:
    """The caller's request on the line, with what the line was before it, once no request
    it excludes is on its way."""
    await no_open(session, line, *EXCLUSIVE.get(kind, (kind,)))
    return await new_request(
        session,
        ctx.now,
        line,
        kind,
        payload,
        actor_id=principal.user.id,
        previous=previous,
        client_ip=ctx.client_ip,
    )


async def control_of(session: AsyncSession, line: Line) -> LineControl:
    """The line's controls, created with the defaults on first use."""
    control = await ControlRepository(session).control(line.id)
    if control is None:
        control = LineControl(line_id=line.id, company_id=line.company_id, cap_barred=False)
        for name, value in DEFAULTS.items():
            setattr(control, name, value)
        session.add(control)
        await session.flush()
    return control


async def list_requests(
    session: AsyncSession, principal: Principal, page: Page, filters: RequestFilters = ALL
) -> tuple[Sequence[LineRequest], int]:
    """The caller's requests, newest first: a manager's company, an employee's lines."""
    scope = await line_scope(session, principal)
    msisdn = filters.msisdn
    line_id = (await find_line(session, principal, msisdn)).line.id if msisdn else None
    repo = LineRequestRepository(session, scope)
    statement = repo.listing(state=filters.state, kind=filters.kind, line_id=line_id)
    return await repo.page(statement, page)


async def get_request(session: AsyncSession, principal: Principal, request_id: int) -> LineRequest:
    request = await LineRequestRepository(session, await line_scope(session, principal)).get(
        request_id
    )
    if request is None:
        raise NotFound("No such request")
    return request


async def codes_waiting(session: AsyncSession, requests: Sequence[LineRequest]) -> set[int]:
    """Which of these requests have an eSIM activation code still to be shown."""
    ids = [
        r.id for r in requests if r.kind in (RequestKind.sim_replacement, RequestKind.esim_reissue)
    ]
    return await EsimRepository(session).waiting(ids) if ids else set()


async def describe(session: AsyncSession, requests: Sequence[LineRequest]) -> list[LineRequestRead]:
    """The requests as the API and the pages show them."""
    waiting = await codes_waiting(session, requests)
    return [
        LineRequestRead(
            id=r.id,
            msisdn=r.line.msisdn,
            kind=r.kind,
            state=r.state,
            reason=r.reason,
            payload=r.payload,
            result=r.result,
            actor_id=r.actor_id,
            activation_code_available=r.id in waiting,
            created_at=r.created_at,
            updated_at=r.updated_at,
            sent_at=r.sent_at,
            completed_at=r.completed_at,
        )
        for r in requests
    ]
