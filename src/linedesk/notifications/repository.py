"""Queries of a manager's notification centre, scoped to the signed-in user."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.kit.pagination import Page
from linedesk.notifications.models import Notification


class NotificationRepository:
    """Only the user's own notifications: anyone else's id is simply not found."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    def readable(self) -> Select[Notification]:
        return select(Notification).where(Notification.user_id == self.user_id)

    async def page(self, page: Page, unread_only: bool = False
                   ) -> tuple[Sequence[Notification], int]:
        statement = self.readable()
        if unread_only:
            statement = statement.where(Notification.read_at.is_(None))
        total = await self.session.scalar(
            select(func.count()).select_from(statement.subquery()))
        rows = await self.session.scalars(statement.order_by(Notification.id.desc())
                                          .offset(page.offset).limit(page.limit))
        return rows.all(), int(total or 0)

    async def unread_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).where(Notification.user_id == self.user_id,
                                       Notification.read_at.is_(None)))
        return int(count or 0)

    async def get(self, notification_id: int) -> Notification | None:
        found: Notification | None = await self.session.scalar(
            self.readable().where(Notification.id == notification_id))
        return found

    async def mark_read(self, notification: Notification, now: datetime) -> None:
        if notification.read_at is None:
            notification.read_at = now
            await self.session.flush()

    async def mark_all_read(self, now: datetime) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(Notification.user_id == self.user_id, Notification.read_at.is_(None))
            .values(read_at=now).execution_options(synchronize_session=False))
        await self.session.flush()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
