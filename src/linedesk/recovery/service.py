"""Password recovery (SPEC R-A6). The start answers alike for every username, whatever
happens next; the right code ends every session and replaces the password with a generated
one-time password."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.codes import (
    CodeCall,
    CodeFlow,
    IssuedCode,
    holder,
    redeem,
    send_message,
)
from linedesk.identity.models import CodePurpose, OneTimeCode, Profile, User
from linedesk.identity.passwords import generate_password
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import (
    AuthContext,
    audit,
    end_all_sessions,
    message_user,
    normalize_username,
)
from linedesk.inventory.models import Line, Sim
from linedesk.inventory.repository import LineRepository
from linedesk.kit.repository import Scope
from linedesk.messaging.models import Channel
from linedesk.recovery.schemas import RecoveryStart

SIM_SWAP_QUARANTINE = timedelta(hours=72)
NO_LINE = 0  # no line has this id: the lookups of an employee's line, for everyone else

CODE = "recovery_code"
# When the code cannot go where it was asked, the user is told why on a channel they own.
NO_EMAIL_ON_FILE = "recovery_no_email"
SIM_RECENTLY_CHANGED = "recovery_sim_changed"


@dataclass(frozen=True)
class Route:
    """Where the message of a recovery goes: the code, or the reason why no code comes.
    `channel` None: an unknown username, to which nothing is sent."""

    template: str
    channel: Channel | None = None
    recipient: str = ""


async def _current_sim(session: AsyncSession, line_id: int) -> tuple[Sim | None, bool]:
    """The line's SIM, and whether it replaced an earlier one."""
    found = await LineRepository(session, Scope.operator()).sims_of([line_id])
    sims = found.get(line_id, [])
    current = next((sim for sim in sims if sim.replaced_at is None), None)
    return current, len(sims) > 1


def asked_channel(username: str, asked: str | None) -> Channel:
    """The channel the answer names: the one asked for, known before any lookup, so that it
    is the same for an unknown username. Only numbers can take SMS."""
    return Channel.sms if username.startswith("+") and asked != "email" else Channel.email


async def _route(
    session: AsyncSession, ctx: AuthContext, user: User | None, asked: Channel
) -> Route:
    """Managers and data-only SIMs get e-mail; employees SMS unless they ask for e-mail. SMS
    is refused for 72 hours after a SIM swap (SIM-swap fraud), and e-mail without an address
    on file: then the user is told so on the other channel. Every username goes through the
    same reads (an employee's line and SIMs), so the time taken tells nothing."""
    employee = (
        user is not None and user.profile is Profile.employee and user.main_line_id is not None
    )
    line_id = user.main_line_id if employee and user and user.main_line_id else NO_LINE
    line = await session.get(Line, line_id)
    sim, swapped = await _current_sim(session, line_id)
    if user is None:
        return Route(CODE)
    if not employee:
        return Route(CODE, Channel.email, user.email) if user.email else Route(CODE)
    msisdn = line.msisdn if line else user.username
    if asked is Channel.email or (sim is not None and sim.data_only):
        if not user.email:
            return Route(NO_EMAIL_ON_FILE, Channel.sms, msisdn)
        return Route(CODE, Channel.email, user.email)
    if sim is not None and swapped and ctx.now - sim.installed_at < SIM_SWAP_QUARANTINE:
        if user.email:
            return Route(SIM_RECENTLY_CHANGED, Channel.email, user.email)
        return Route(SIM_RECENTLY_CHANGED, Channel.sms, msisdn)  # no code in it: harmless
    return Route(CODE, Channel.sms, msisdn)


async def start_recovery(call: CodeCall, request: RecoveryStart) -> IssuedCode:
    """The same answer (a ticket naming the channel asked for) for every username: known or
    not, able to receive the code or not. Only the message differs, and it reaches only the
    user: the code, or why it cannot come and what to do instead."""
    username = normalize_username(request.username)
    session, ctx = call.session, call.ctx
    await call.limits.sending(username)
    asked = asked_channel(username, request.channel)
    user = await UserRepository(session, Scope.operator()).by_username(username)
    if user is not None and user.disabled_at is not None:
        user = None
    route = await _route(session, ctx, user, asked)
    gets_code = route.template == CODE and route.channel is not None
    return await RECOVERY_CODES.issue(
        session,
        ctx,
        subject=username,
        channel=asked,
        destination=route.recipient,
        company_id=user.company_id if user else None,
        # Only a code that was sent can be spent: an explanation's code leads nowhere.
        user_id=user.id if user and gets_code else None,
        context={
            "language": user.language if user else request.language,
            "template": route.template,
            "deliver_by": route.channel.value if route.channel else None,
        },
    )


def _delivery(code_record: OneTimeCode) -> Channel | None:
    deliver_by = code_record.context.get("deliver_by", code_record.channel)
    return Channel(deliver_by) if deliver_by and code_record.destination else None


async def _send(session: AsyncSession, ctx: AuthContext, issued: IssuedCode) -> None:
    """The code, or the explanation (again, at "send again"); nothing to an unknown user."""
    code_record = issued.record
    channel = _delivery(code_record)
    if channel is None:
        return
    template = code_record.context.get("template", CODE)
    payload = issued.payload() if template == CODE else {}
    await send_message(session, ctx, code_record, template, payload, channel)


RECOVERY_CODES = CodeFlow(CodePurpose.recovery, _send)


async def complete_recovery(call: CodeCall, public_id: str, code: str) -> str:
    """The right code: the old password stops working, every session ends, and a generated
    password (shown once, good for one sign-in) takes its place."""
    session, ctx = call.session, call.ctx
    code_record = await redeem(call, public_id, CodePurpose.recovery, code)
    user = await holder(session, code_record)
    new_password = generate_password()
    user.password_hash = await call.hasher.hash(new_password, username=user.username)
    user.must_change_password = True
    user.password_changed_at = ctx.now
    await end_all_sessions(session, ctx, user, "password_reset")
    channel = _delivery(code_record) or Channel(code_record.channel)
    await audit(session, ctx, "password_reset", user, channel=channel.value)
    await message_user(
        session, ctx, user, channel, code_record.destination, "password_reset_done", {}
    )
    return new_password
