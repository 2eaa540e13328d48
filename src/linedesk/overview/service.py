"""What the manager's home shows: unread notifications, the next due date, the overdue
total, this month's spending estimate and the company's lines by state."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.dashboard import service as dashboard
from linedesk.identity.principal import Principal
from linedesk.notifications.repository import NotificationRepository
from linedesk.overview.repository import Dues, OverviewRepository
from linedesk.spending import service as spending
from linedesk.spending.repository import SpendingRepository


@dataclass(frozen=True)
class Overview:
    unread: int
    dues: Dues
    month: date
    estimate: Decimal
    lines: dict[str, int]  # active, suspended, ceased

    @property
    def total_lines(self) -> int:
        return sum(self.lines.values())


async def overview(session: AsyncSession, principal: Principal, today: date) -> Overview:
    month = today.replace(day=1)
    guess = await spending.estimate(SpendingRepository(session, principal.scope), month)
    lines = await (await dashboard.readable(session, principal)).by_state()
    return Overview(
        unread=await NotificationRepository(session, principal.user.id).unread_count(),
        dues=await OverviewRepository(session, principal.scope).dues(today),
        month=month,
        estimate=guess.total,
        lines={state: lines.get(state, 0) for state in ("active", "suspended", "ceased")},
    )
