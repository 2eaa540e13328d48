"""Queries of a manager's notification centre, scoped to the signed-in user, and those of
the producers (events, the managers to tell)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Row, Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.models import Invoice, InvoiceStatus
from linedesk.identity.models import Profile, User
from linedesk.inventory.models import BillingAccount
from linedesk.kit.bulk import dialect_insert
from linedesk.kit.pagination import Page
from linedesk.kit.repository import SessionRepository
from linedesk.notifications.models import (
    Notification,
    NotificationEvent,
    NotificationKind,
    NotificationPreference,
)


class NotificationRepository:
    """Only the user's own notifications: anyone else's id is simply not found."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    def readable(self) -> Select[Notification]:
        return select(Notification).where(Notification.user_id == self.user_id)

    async def page(
        self, page: Page, unread_only: bool = False
    ) -> tuple[Sequence[Notification], int]:
        statement = self.readable()
        if unread_only:
            statement = statement.where(Notification.read_at.is_(None))
        total = await self.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await self.session.scalars(
            statement.order_by(Notification.id.desc()).offset(page.offset).limit(page.limit)
        )
        return rows.all(), int(total or 0)

    async def unread_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).where(
                Notification.user_id == self.user_id, Notification.read_at.is_(None)
            )
        )
        return int(count or 0)

    async def get(self, notification_id: int) -> Notification | None:
        found: Notification | None = await self.session.scalar(
            self.readable().where(Notification.id == notification_id)
        )
        return found

    async def mark_read(self, notification: Notification, now: datetime) -> None:
        if notification.read_at is None:
            notification.read_at = now
            await self.session.flush()

    async def mark_all_read(self, now: datetime) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(Notification.user_id == self.user_id, Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class PreferenceRepository(SessionRepository):
    """A manager's switches (the caller passes the user)."""

    async def preferences(self, user_ids: set[int]) -> Sequence[NotificationPreference]:
        rows = await self.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids))
        )
        return rows.all()

    async def save(
        self, user: User, kind: NotificationKind, switches: dict[str, bool], now: datetime
    ) -> None:
        statement = dialect_insert(self.session, NotificationPreference).values(
            user_id=user.id, kind=kind, company_id=user.company_id, updated_at=now, **switches
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "kind"], set_={**switches, "updated_at": now}
            )
        )


class EventRepository(SessionRepository):
    """The producers' queries: across companies, as events are (the caller scopes them)."""

    def _insert_ignoring_conflicts(self) -> Insert:
        statement: Insert = dialect_insert(self.session, NotificationEvent).on_conflict_do_nothing(
            index_elements=["key"]
        )
        return statement

    async def claim(self, rows: list[dict[str, Any]]) -> list[Row[int, str]]:
        """Insert the events; only those nobody announced before come back (id, key)."""
        result = await self.session.execute(
            self._insert_ignoring_conflicts()
            .values(rows)
            .returning(NotificationEvent.id, NotificationEvent.key)
        )
        return list(result)

    async def managers(
        self, company_ids: set[int], profiles: Sequence[Profile]
    ) -> list[Row[int, int, str, str | None]]:
        result = await self.session.execute(
            select(User.id, User.company_id, User.language, User.email)
            .where(
                User.company_id.in_(company_ids),
                User.profile.in_(profiles),
                User.disabled_at.is_(None),
            )
            .order_by(User.id)
        )
        return list(result)

    async def add_notifications(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 2000):
            await self.session.execute(insert(Notification), rows[start : start + 2000])

    async def invoices(self, ids: Sequence[int]) -> list[Row[Invoice, str]]:
        """The invoices with their billing account's code."""
        result = await self.session.execute(
            select(Invoice, BillingAccount.code)
            .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
            .where(Invoice.id.in_(list(ids)))
            .order_by(Invoice.id)
        )
        return list(result)

    async def unannounced(
        self, kind: NotificationKind, *conditions: Any
    ) -> list[Row[Invoice, str]]:
        """Unpaid invoices matching `conditions` with no `kind` event yet."""
        announced = select(NotificationEvent.id).where(
            NotificationEvent.invoice_id == Invoice.id, NotificationEvent.kind == kind
        )
        result = await self.session.execute(
            select(Invoice, BillingAccount.code)
            .join(BillingAccount, BillingAccount.id == Invoice.billing_account_id)
            .where(Invoice.status != InvoiceStatus.paid, ~announced.exists(), *conditions)
            .order_by(Invoice.id)
        )
        return list(result)
