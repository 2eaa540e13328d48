"""Every query of linked lines (R-A7): how many a user has, and unlinking one."""

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.models import LinkedLine, User


class LinkedLineRepository:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session, self.user = session, user

    async def count(self) -> int:
        statement = select(func.count()).select_from(LinkedLine)
        return int(
            await self.session.scalar(statement.where(LinkedLine.user_id == self.user.id)) or 0
        )

    async def unlink(self, line_id: int) -> int:
        """Remove the link to the line; how many links were removed (0 or 1)."""
        result = await self.session.execute(
            delete(LinkedLine).where(
                LinkedLine.user_id == self.user.id, LinkedLine.line_id == line_id
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
