"""Audit events about one line: its company and its number are the event's own."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.inventory.models import Line
from linedesk.lineactions.models import LineRequest, RequestState


async def audit_line(
    session: AsyncSession,
    line: Line,
    action: str,
    *,
    now: datetime,
    user_id: int | None = None,
    client_ip: str | None = None,
    **detail: Any,
) -> None:
    """Record `action` on `line` by `user_id` (none: the system)."""
    await record(
        session,
        action,
        now=now,
        company_id=line.company_id,
        user_id=user_id,
        subject=line.msisdn,
        client_ip=client_ip,
        **detail,
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
