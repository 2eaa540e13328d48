"""Every query of the dashboard, scoped to the lines the caller may read."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select

from linedesk.identity.repository import readable_by_user, sessions_with_users
from linedesk.inventory.models import Line, Offer
from linedesk.kit.bulk import dialect_insert
from linedesk.kit.clock import ROME
from linedesk.kit.repository import ScopedRepository, SessionRepository
from linedesk.usage.models import (
    DailyUsage,
    FeatureVisit,
    LineCounter,
    PrepaidBalance,
    UsagePreferences,
    UsageRecord,
    UsageType,
)

LATEST_RECORDS = 50


@dataclass(frozen=True)
class LineState:
    """A line, its offer, its counter of the period and (prepaid) its balance."""

    line: Line
    offer: Offer
    counter: LineCounter | None
    balance: PrepaidBalance | None

    @classmethod
    def of(cls, read: tuple[Any, ...]) -> "LineState | None":
        """From the columns `STATE_BESIDE_SESSION` adds: None when no line was found."""
        line, offer, counter, balance = read
        return None if line is None else cls(line, offer, counter, balance)


def state_beside_session() -> Select[*tuple[Any, ...]]:
    """Authentication's session and user, and in the same round trip the line whose number is
    the parameter `msisdn` if that user may read it, with its offer, its counter of the
    parameter `period` and its balance (all None when there is no such line to read)."""
    return (
        sessions_with_users()
        .add_columns(Line, Offer, LineCounter, PrepaidBalance)
        .outerjoin(Line, and_(Line.msisdn == bindparam("msisdn"), readable_by_user()))
        .outerjoin(Offer, Offer.id == Line.offer_id)
        .outerjoin(
            LineCounter,
            and_(LineCounter.line_id == Line.id, LineCounter.period == bindparam("period")),
        )
        .outerjoin(PrepaidBalance, PrepaidBalance.line_id == Line.id)
    )


# Built once, as the session's own query (identity.repository.SESSION_WITH_USER).
STATE_BESIDE_SESSION = state_beside_session()


def rome_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ROME)


class DashboardRepository(ScopedRepository[Line]):
    model = Line

    def readable(self) -> Select[Line]:
        statement = super().readable()
        if self.scope.line_ids is not None:
            statement = statement.where(Line.id.in_(self.scope.line_ids))
        return statement

    async def state(self, msisdn: str, period: date) -> LineState | None:
        """One round trip: the line by its unique number, the rest by primary key."""
        statement = (
            self.readable()
            .add_columns(Offer, LineCounter, PrepaidBalance)
            .join(Offer, Offer.id == Line.offer_id)
            .outerjoin(
                LineCounter, and_(LineCounter.line_id == Line.id, LineCounter.period == period)
            )
            .outerjoin(PrepaidBalance, PrepaidBalance.line_id == Line.id)
            .where(Line.msisdn == msisdn)
        )
        row = (await self.session.execute(statement)).first()
        return None if row is None else LineState(*row)

    async def by_id(self, line_id: int) -> Line | None:
        return await self.session.scalar(self.readable().where(Line.id == line_id))

    async def first_numbers(self, limit: int = 100) -> Sequence[str]:
        """Some of the readable numbers, for the managers' line picker suggestions."""
        statement = self.readable().with_only_columns(Line.msisdn).order_by(Line.msisdn)
        return (await self.session.scalars(statement.limit(limit))).all()

    async def find(self, text: str, limit: int = 100) -> Sequence[tuple[str, str | None, str]]:
        """Readable lines whose number, holder name or offer contains `text` (any case), as
        (number, holder, offer); the first ones by number when `text` is empty."""
        statement = (
            self.readable()
            .with_only_columns(Line.msisdn, Line.holder_name, Offer.name)
            .join(Offer, Offer.id == Line.offer_id)
            .order_by(Line.msisdn)
        )
        words = text.strip().lower()
        if words:
            pattern = "%" + words.replace("\\", "").replace("%", "").replace("_", "") + "%"
            digits = "".join(ch for ch in words if ch.isdigit())
            found = [
                func.lower(Line.holder_name).like(pattern),
                func.lower(Offer.name).like(pattern),
            ]
            if digits:
                found.append(Line.msisdn.like("%" + digits + "%"))
            statement = statement.where(or_(*found))
        rows = await self.session.execute(statement.limit(limit))
        return [(msisdn, holder, offer) for msisdn, holder, offer in rows]

    async def by_state(self) -> dict[str, int]:
        """How many readable lines are active, suspended, ceased."""
        statement = (
            self.readable().with_only_columns(Line.status, func.count()).group_by(Line.status)
        )
        return {status.value: count for status, count in await self.session.execute(statement)}

    async def daily(
        self, line_id: int, first: date, last: date, usage_type: UsageType | None
    ) -> Sequence[DailyUsage]:
        statement = (
            select(DailyUsage)
            .where(DailyUsage.line_id == line_id, DailyUsage.day >= first, DailyUsage.day <= last)
            .order_by(DailyUsage.day, DailyUsage.usage_type)
        )
        if usage_type is not None:
            statement = statement.where(DailyUsage.usage_type == usage_type)
        return (await self.session.scalars(statement)).all()

    async def latest_records(
        self, line_id: int, first: date, last: date, usage_type: UsageType | None
    ) -> Sequence[UsageRecord]:
        statement = (
            select(UsageRecord)
            .where(
                UsageRecord.line_id == line_id,
                UsageRecord.started_at >= rome_midnight(first),
                UsageRecord.started_at < rome_midnight(last + timedelta(days=1)),
            )
            .order_by(UsageRecord.started_at.desc(), UsageRecord.record_id.desc())
            .limit(LATEST_RECORDS)
        )
        if usage_type is not None:
            statement = statement.where(UsageRecord.usage_type == usage_type)
        return (await self.session.scalars(statement)).all()


class PreferencesRepository(SessionRepository):
    """A user's own widget settings and feature visits: keyed by the user, never shared."""

    async def preferences(self, user_id: int) -> UsagePreferences | None:
        return await self.session.get(UsagePreferences, user_id)

    async def most_visited(self, user_id: int, limit: int) -> Sequence[str]:
        statement = (
            select(FeatureVisit.feature)
            .where(FeatureVisit.user_id == user_id)
            .order_by(
                FeatureVisit.visits.desc(), FeatureVisit.last_visit_at.desc(), FeatureVisit.feature
            )
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def count_visit(self, user_id: int, company_id: int, feature: str, now: datetime) -> None:
        """One statement, safe under concurrent visits (insert, or add one)."""
        statement = dialect_insert(self.session, FeatureVisit).values(
            user_id=user_id, feature=feature, company_id=company_id, visits=1, last_visit_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=[FeatureVisit.user_id, FeatureVisit.feature],
            set_={"visits": FeatureVisit.visits + 1, "last_visit_at": now},
        )
        await self.session.execute(statement)
