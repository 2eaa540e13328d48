"""Offer changes (SPEC R-L5): a line moves to another offer of its kind from the first day of
the next month. The change is kept as the line's offer history (`LineOfferChange`): the daily
job moves `lines.offer_id` when the month starts (so the counters rate the new period by
the new offer), and the billing run bills each month by the history. Flushes only."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.errors import NotFound, ValidationFailed
from linedesk.inventory.models import Company, Line, LineOfferChange, Offer
from linedesk.kit.clock import ROME
from linedesk.kit.phone import LineKind
from linedesk.lineactions.audit import audit_line
from linedesk.lineactions.models import OfferChange


def next_period(today: date) -> date:
    """The first day of the month after `today`."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


class OfferHistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def catalogue(self, company_id: int, kind: LineKind) -> list[Offer]:
        """The offers open to a company for one kind of line (mobile or fixed): those of its
        segment (SME or large enterprise) and those open to every segment."""
        segment = select(Company.segment).where(Company.id == company_id).scalar_subquery()
        rows = await self.session.scalars(
            select(Offer)
            .where(Offer.kind == kind, or_(Offer.segment.is_(None), Offer.segment == segment))
            .order_by(Offer.monthly_fee, Offer.id)
        )
        return list(rows)

    async def pending(self, line_id: int) -> LineOfferChange | None:
        return await self.session.scalar(
            select(LineOfferChange).where(
                LineOfferChange.line_id == line_id, LineOfferChange.applied_at.is_(None)
            )
        )

    async def due(self, today: date) -> Sequence[LineOfferChange]:
        rows = await self.session.scalars(
            select(LineOfferChange)
            .where(LineOfferChange.applied_at.is_(None), LineOfferChange.effective_from <= today)
            .order_by(LineOfferChange.line_id, LineOfferChange.effective_from)
        )
        return rows.all()


async def offer_catalogue(session: AsyncSession, line: Line) -> list[Offer]:
    """The offers a line may move to ("Offerte e servizi")."""
    return await OfferHistoryRepository(session).catalogue(line.company_id, line.kind)


async def company_catalogue(
    session: AsyncSession, company_id: int, kind: LineKind = LineKind.mobile
) -> list[Offer]:
    return await OfferHistoryRepository(session).catalogue(company_id, kind)


async def open_offer(session: AsyncSession, line: Line, offer_id: int) -> Offer | None:
    """The offer if the line may move to it (its kind, its company's segment), else None."""
    return next((o for o in await offer_catalogue(session, line) if o.id == offer_id), None)


async def pending_offer_change(session: AsyncSession, line: Line) -> LineOfferChange | None:
    return await OfferHistoryRepository(session).pending(line.id)


async def schedule_offer_change(
    session: AsyncSession,
    now: datetime,
    line: Line,
    offer_id: int,
    *,
    effective_from: date | None = None,
    user_id: int | None = None,
) -> LineOfferChange:
    """Move `line` to the offer from `effective_from` (by default the first day of next
    month); a change already waiting for that month is replaced. Moving back to the
    current offer cancels nothing: it is a change like any other, kept in the history."""
    offer = await session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("No such offer")
    if offer.kind is not line.kind:
        raise ValidationFailed(
            "This offer is not for this kind of line",
            details=[{"field": "offer_id", "reason": f"not a {line.kind.value} offer"}],
        )
    if await open_offer(session, line, offer.id) is None:
        raise ValidationFailed(
            "This offer is not in the catalogue of the company's segment",
            details=[{"field": "offer_id", "reason": "not offered to this segment"}],
        )
    effective = effective_from or next_period(now.astimezone(ROME).date())
    change = await OfferHistoryRepository(session).pending(line.id)
    if change is None or change.effective_from != effective:
        change = LineOfferChange(
            company_id=line.company_id,
            line_id=line.id,
            previous_offer_id=line.offer_id,
            effective_from=effective,
            created_at=now,
        )
        session.add(change)
    change.offer_id = offer.id
    await session.flush()
    await audit_line(
        session,
        line,
        "line.offer_change_scheduled",
        now=now,
        user_id=user_id,
        offer=offer.code,
        effective_from=effective.isoformat(),
    )
    return change


async def apply_due_offer_changes(session: AsyncSession, now: datetime) -> int:
    """Move each line whose new offer starts today (or earlier, after a missed run) to it;
        safe to run again. Returns how many lines moved. The request's `OfferChange` is
    marked applied with it. Flushes only."""
    changes = await OfferHistoryRepository(session).due(now.astimezone(ROME).date())
    for change in changes:
        await session.execute(
            update(Line).where(Line.id == change.line_id).values(offer_id=change.offer_id)
        )
        change.applied_at = now
        await session.execute(
            update(OfferChange)
            .where(
                OfferChange.line_id == change.line_id,
                OfferChange.effective_from == change.effective_from,
                OfferChange.applied_at.is_(None),
            )
            .values(applied_at=now)
        )
        await record(
            session,
            "line.offer_changed",
            now=now,
            company_id=change.company_id,
            subject=str(change.line_id),
            offer_id=change.offer_id,
            previous_offer_id=change.previous_offer_id,
            effective_from=change.effective_from.isoformat(),
        )
    await session.flush()
    return len(changes)
