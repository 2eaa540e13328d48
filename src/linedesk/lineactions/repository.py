"""Every query of line actions, scoped to the caller (a company, or an employee's lines)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from linedesk.identity.models import User
from linedesk.kit.repository import ScopedRepository, claiming, finish_claimed
from linedesk.lineactions.models import (
    EsimActivation,
    LineControl,
    LinePolicy,
    LineRequest,
    OfferChange,
    RequestKind,
    RequestState,
)

OPEN_STATES = (RequestState.requested, RequestState.sent)


class LineRequestRepository(ScopedRepository[LineRequest]):
    model = LineRequest

    def readable(self) -> Select[LineRequest]:
        statement = super().readable().options(joinedload(LineRequest.line))
        if self.scope.line_ids is not None:
            statement = statement.where(LineRequest.line_id.in_(self.scope.line_ids))
        return statement

    def listing(
        self,
        *,
        state: RequestState | None = None,
        kind: RequestKind | None = None,
        line_id: int | None = None,
    ) -> Select[LineRequest]:
        statement = self.readable().order_by(LineRequest.id.desc())
        if state is not None:
            statement = statement.where(LineRequest.state == state)
        if kind is not None:
            statement = statement.where(LineRequest.kind == kind)
        if line_id is not None:
            statement = statement.where(LineRequest.line_id == line_id)
        return statement

    async def get_for_update(self, id: int) -> LineRequest | None:
        statement = self.readable().where(LineRequest.id == id).with_for_update(of=LineRequest)
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def open_of(self, line_id: int, kinds: Sequence[RequestKind]) -> LineRequest | None:
        """The line's newest request of these kinds still on its way, if any."""
        statement = (
            self.readable()
            .where(
                LineRequest.line_id == line_id,
                LineRequest.kind.in_(kinds),
                LineRequest.state.in_(OPEN_STATES),
            )
            .order_by(LineRequest.id.desc())
            .limit(1)
        )
        return (await self.session.execute(statement)).scalars().first()

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> Sequence[LineRequest]:
        """Take due requests (and ones whose worker died mid-send) for this worker, as the
        messaging outbox does."""
        due = and_(
            LineRequest.state == RequestState.requested,
            LineRequest.next_attempt_at <= now,
            or_(LineRequest.claimed_at.is_(None), LineRequest.claimed_at < now - lease),
        )
        statement = claiming(LineRequest, due, limit, claimed_at=now).returning(LineRequest.id)
        ids = list((await self.session.scalars(statement)).all())
        if not ids:
            return []
        rows = await self.session.execute(
            select(LineRequest)
            .options(joinedload(LineRequest.line))
            .where(LineRequest.id.in_(ids))
            .order_by(LineRequest.id)
            .execution_options(populate_existing=True)
        )
        return rows.scalars().all()

    async def finish_delivery(self, request: LineRequest, **values: object) -> bool:
        """Record a delivery's outcome, if the claim is still ours (`attempts` is its token)
        and no callback finished the request meanwhile."""
        still_requested = LineRequest.state == RequestState.requested
        return await finish_claimed(self.session, request, still_requested, **values)


class ControlRepository:
    """A line's controls and its company's policy (rows exist once changed)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def control(self, line_id: int) -> LineControl | None:
        return await self.session.get(LineControl, line_id)

    async def policy(self, company_id: int) -> LinePolicy | None:
        return await self.session.get(LinePolicy, company_id)

    async def holders(self, line_id: int) -> list[tuple[int, int, str, str | None]]:
        """The active users whose own line this is: (id, company_id, language, email)."""
        rows = await self.session.execute(
            select(User.id, User.company_id, User.language, User.email).where(
                User.main_line_id == line_id, User.disabled_at.is_(None)
            )
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def controls(self, line_ids: Sequence[int]) -> dict[int, LineControl]:
        rows = await self.session.scalars(
            select(LineControl).where(LineControl.line_id.in_(line_ids))
        )
        return {control.line_id: control for control in rows}


class EsimRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_request(self, request_id: int) -> EsimActivation | None:
        return await self.session.scalar(
            select(EsimActivation).where(EsimActivation.request_id == request_id)
        )

    async def valid_of(self, line_id: int) -> Sequence[EsimActivation]:
        rows = await self.session.scalars(
            select(EsimActivation).where(
                EsimActivation.line_id == line_id, EsimActivation.invalidated_at.is_(None)
            )
        )
        return rows.all()

    async def waiting(self, request_ids: Sequence[int]) -> set[int]:
        """The requests whose activation code is still to be shown."""
        rows = await self.session.scalars(
            select(EsimActivation.request_id).where(
                EsimActivation.request_id.in_(request_ids),
                EsimActivation.sealed_code.is_not(None),
                EsimActivation.invalidated_at.is_(None),
            )
        )
        return set(rows)


class OfferChangeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due(self, today: date) -> Sequence[OfferChange]:
        rows = await self.session.scalars(
            select(OfferChange)
            .where(OfferChange.effective_from <= today, OfferChange.applied_at.is_(None))
            .order_by(OfferChange.effective_from, OfferChange.id)
        )
        return rows.all()

    async def pending_of(self, line_id: int) -> OfferChange | None:
        return await self.session.scalar(
            select(OfferChange)
            .where(OfferChange.line_id == line_id, OfferChange.applied_at.is_(None))
            .order_by(OfferChange.id.desc())
            .limit(1)
        )
