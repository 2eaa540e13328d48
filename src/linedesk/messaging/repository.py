"""Every query of messaging. The outbox is operator data: no company scope applies."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, delete, func, or_, select

from linedesk.kit.bulk import copy_or_insert, dialect_insert
from linedesk.kit.repository import SessionRepository, claiming, finish_claimed
from linedesk.messaging.models import (
    CapturedMessage,
    Channel,
    OutboxMessage,
    OutboxStatus,
    PushSubscription,
)


class OutboxRepository(SessionRepository):
    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """New messages (rows of the same keys), written in bulk (`kit.bulk.copy_or_insert`):
        an import may queue thousands of alerts at once."""
        if rows:
            columns = tuple(rows[0])
            values = [tuple(row[name] for name in columns) for row in rows]
            await copy_or_insert(self.session, OutboxMessage, columns, values)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> Sequence[OutboxMessage]:
        """Atomically take due messages (and ones whose worker died mid-send) for this worker."""
        due = or_(
            and_(
                OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now
            ),
            and_(
                OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_at < now - lease
            ),
        )
        claim = claiming(OutboxMessage, due, limit, status=OutboxStatus.sending, claimed_at=now)
        return (await self.session.scalars(claim.returning(OutboxMessage))).all()

    async def _finish(self, message: OutboxMessage, **values: object) -> bool:
        # A message reclaimed by another worker is not ours.
        still_sending = OutboxMessage.status == OutboxStatus.sending
        return await finish_claimed(self.session, message, still_sending, **values)

    async def mark_sent(self, message: OutboxMessage, now: datetime) -> bool:
        # The payload may hold a one-time code: once delivered it is not kept.
        return await self._finish(
            message,
            status=OutboxStatus.sent,
            sent_at=now,
            claimed_at=None,
            last_error=None,
            payload={},
        )

    async def mark_retry(self, message: OutboxMessage, at: datetime, error: str) -> bool:
        return await self._finish(
            message,
            status=OutboxStatus.pending,
            next_attempt_at=at,
            claimed_at=None,
            last_error=error,
        )

    async def mark_failed(self, message: OutboxMessage, error: str) -> bool:
        return await self._finish(
            message, status=OutboxStatus.failed, claimed_at=None, last_error=error, payload={}
        )

    async def list(
        self, status: OutboxStatus | None = None, limit: int = 50
    ) -> Sequence[OutboxMessage]:
        statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(OutboxMessage.status == status)
        return (await self.session.scalars(statement)).all()

    async def pending_by_channel(self) -> dict[Channel, int]:
        statement = (
            select(OutboxMessage.channel, func.count())
            .where(OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]))
            .group_by(OutboxMessage.channel)
        )
        rows = (await self.session.execute(statement)).all()
        return {Channel(channel): int(count) for channel, count in rows}

    async def oldest_pending_created_at(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending])
            )
        )


class MailboxRepository(SessionRepository):
    async def newest(self, limit: int = 100, offset: int = 0) -> Sequence[CapturedMessage]:
        statement = (
            select(CapturedMessage)
            .order_by(CapturedMessage.created_at.desc(), CapturedMessage.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(CapturedMessage.id))) or 0)


class PushSubscriptionRepository(SessionRepository):
    """Browsers' push subscriptions; the caller scopes them (a user's own, or those of the
    users a notification or an alert goes to)."""

    async def save(
        self,
        company_id: int,
        user_id: int,
        endpoint: str,
        digest: str,
        p256dh: str,
        auth: str,
        now: datetime,
    ) -> PushSubscription:
        owner_and_keys = {
            "company_id": company_id,
            "user_id": user_id,
            "p256dh": p256dh,
            "auth": auth,
        }
        statement = dialect_insert(self.session, PushSubscription).values(
            endpoint=endpoint, endpoint_digest=digest, created_at=now, **owner_and_keys
        )
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["endpoint_digest"], set_=owner_and_keys)
        )
        found = await self.session.scalar(
            select(PushSubscription)
            .where(PushSubscription.endpoint_digest == digest)
            .execution_options(populate_existing=True)
        )
        assert found is not None
        return found

    async def delete(self, user_id: int, digest: str) -> int:
        result = await self.session.execute(
            delete(PushSubscription).where(
                PushSubscription.user_id == user_id, PushSubscription.endpoint_digest == digest
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def count(self, user_id: int) -> int:
        found = await self.session.scalar(
            select(func.count()).where(PushSubscription.user_id == user_id)
        )
        return int(found or 0)

    async def of_users(self, user_ids: set[int]) -> list[Row[int, str, str, str]]:
        result = await self.session.execute(
            select(
                PushSubscription.user_id,
                PushSubscription.endpoint,
                PushSubscription.p256dh,
                PushSubscription.auth,
            )
            .where(PushSubscription.user_id.in_(user_ids))
            .order_by(PushSubscription.id)
        )
        return list(result)
