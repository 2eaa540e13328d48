"""Autologin (SPEC R-A2): the operator's network vouches for the number; the person is
signed in as the Employee of that line — never as a manager — even unregistered."""

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import Unauthorized
from linedesk.identity.models import Profile, User
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext, audit, message_user
from linedesk.inventory.models import LineStatus
from linedesk.inventory.repository import LineRepository
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope
from linedesk.messaging.models import Channel

OPERATOR = Scope.operator()


def autologin_unavailable() -> Unauthorized:
    return Unauthorized(
        "Automatic sign-in works only on the operator's mobile network (not on Wi-Fi or "
        "other networks): sign in with your username and password",
        code="autologin_unavailable",
    )


async def employee_of_line(session: AsyncSession, ctx: AuthContext, msisdn: str | None) -> User:
    """The Employee user of a vouched-for line, created on its first autologin."""
    line = await LineRepository(session, OPERATOR).get_by_msisdn(msisdn) if msisdn else None
    if line is None or line.kind is not LineKind.mobile or line.status is not LineStatus.active:
        raise autologin_unavailable()
    user = await UserRepository(session, OPERATOR).by_username(line.msisdn)
    if user is None:
        user = User(
            company_id=line.company_id,
            profile=Profile.employee,
            username=line.msisdn,
            main_line_id=line.id,
            language="it",
            created_at=ctx.now,
        )
        session.add(user)
        await session.flush()
    if user.disabled_at is not None or user.profile is not Profile.employee:
        raise autologin_unavailable()
    if user.autologin_seen_at is None:
        await message_user(
            session, ctx, user, Channel.sms, line.msisdn, "autologin_first", {"msisdn": line.msisdn}
        )
        await audit(session, ctx, "autologin_first", user)
    user.autologin_seen_at = ctx.now
    return user
