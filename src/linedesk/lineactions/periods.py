"""What a new month does to lines (the daily job, first thing): the offer changes due start,
and the bars a spending cap put on the months before are lifted. Flushes only."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.lineactions.caps import lift_bars
from linedesk.lineactions.offers import apply_due_offer_changes


@dataclass(frozen=True)
class PeriodStart:
    offers_changed: int
    bars_lifted: int


async def start_line_periods(session: AsyncSession, now: datetime) -> PeriodStart:
    offers_changed = await apply_due_offer_changes(session, now)
    return PeriodStart(offers_changed=offers_changed, bars_lifted=await lift_bars(session, now))
