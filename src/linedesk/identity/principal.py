"""Who is calling (a signed-in user in a session) and which lines they may read."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.models import AuthSession, Profile, User
from linedesk.identity.repository import UserRepository
from linedesk.kit.repository import Scope


@dataclass(frozen=True)
class Principal:
    user: User
    session: AuthSession

    @property
    def profile(self) -> Profile:
        return self.user.profile

    @property
    def scope(self) -> Scope:
        return Scope.company(self.user.company_id)


async def line_scope(session: AsyncSession, principal: Principal) -> Scope:
    """The lines the caller may read: a manager every line of the company, an employee
    their own line and the lines linked to it (SPEC R-P2)."""
    if principal.profile.is_manager:
        return principal.scope
    lines = await UserRepository(session, principal.scope).lines_of(principal.user)
    return Scope.lines(principal.user.company_id, frozenset(line.id for line in lines))
