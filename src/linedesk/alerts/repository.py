"""Queries of usage alerts for the pages (the import's own are in the service)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.usage.models import SentAlert


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def recent(self, line_id: int, limit: int) -> list[SentAlert]:
        rows = await self.session.scalars(
            select(SentAlert)
            .where(SentAlert.line_id == line_id)
            .order_by(SentAlert.sent_at.desc(), SentAlert.kind)
            .limit(limit)
        )
        return list(rows)
