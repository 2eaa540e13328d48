"""Write audit events in the caller's transaction."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.models import AuditEvent


async def record(
    session: AsyncSession,
    action: str,
    *,
    now: datetime,
    company_id: int | None = None,
    user_id: int | None = None,
    subject: str | None = None,
    client_ip: str | None = None,
    **detail: Any,
) -> None:
    """Never pass secrets (passwords, codes, tokens) as detail."""
    session.add(
        AuditEvent(
            action=action,
            company_id=company_id,
            user_id=user_id,
            subject=subject,
            client_ip=client_ip,
            detail=detail,
            created_at=now,
        )
    )
    await session.flush()
