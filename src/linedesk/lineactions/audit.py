"""Audit events about one line: its company and its number are the event's own."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.inventory.models import Line
from linedesk.lineactions.models import LineRequest, RequestState


async def audit_line(
    session: AsyncSession, line: Line, action: str, *, now: datetime, **detail: Any
) -> None:
    """Record `action` on `line`; `detail` as `record` takes it (the actor's `user_id` and
    `client_ip` when a person acted, then what the event is about)."""
    await record(
        session, action, now=now, company_id=line.company_id, subject=line.msisdn, **detail
    )


async def audit_outcome(
    session: AsyncSession,
    now: datetime,
    request: LineRequest,
    state: RequestState,
    *,
    msisdn: str,
    reason: str | None = None,
) -> None:
    """Record how `request` ended (`done` or `failed`, with its reason), in its asker's name."""
    await record(
        session,
        f"line_request_{state.value}",
        now=now,
        company_id=request.company_id,
        user_id=request.actor_id,
        subject=msisdn,
        request_id=request.id,
        kind=request.kind.value,
        reason=reason,
    )
