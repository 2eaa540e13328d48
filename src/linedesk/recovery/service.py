"""Password recovery (SPEC R-A6). The start answers alike for every username; the right
code ends every session and replaces the password with a generated one-time password."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.errors import ValidationFailed
from linedesk.identity.codes import (
    MINUTES,
    IssuedCode,
    Limits,
    invalid_code,
    issue_code,
    redeem,
    resend_by_id,
)
from linedesk.identity.models import CodePurpose, Profile, User
from linedesk.identity.passwords import PasswordHasher, generate_password
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext, end_all_sessions, normalize_username
from linedesk.inventory.models import Line, Sim
from linedesk.kit.repository import Scope
from linedesk.messaging.models import Channel
from linedesk.messaging.service import enqueue
from linedesk.recovery.schemas import RecoveryStart

SIM_SWAP_QUARANTINE = timedelta(hours=72)


async def _current_sim(session: AsyncSession, line_id: int) -> tuple[Sim | None, bool]:
    """The line's SIM, and whether it replaced an earlier one."""
    sims = (await session.scalars(select(Sim).where(Sim.line_id == line_id)
                                  .order_by(Sim.installed_at.desc()))).all()
    current = next((sim for sim in sims if sim.replaced_at is None), None)
    return current, len(sims) > 1


async def _channel_for(session: AsyncSession, ctx: AuthContext, user: User,
                       asked: str | None) -> tuple[Channel, str]:
    """Managers and data-only SIMs get e-mail; employees SMS unless they ask for e-mail.
    SMS is refused for 72 hours after a SIM swap (SIM-swap fraud)."""
    if user.profile is not Profile.employee or user.main_line_id is None:
        return Channel.email, user.email or ""
    line = await session.get(Line, user.main_line_id)
    sim, swapped = await _current_sim(session, user.main_line_id)
    if asked == "email" or (sim is not None and sim.data_only):
        if not user.email:
            raise ValidationFailed("There is no e-mail address on file for this account: "
                                   "ask for the code by SMS", code="no_email_on_file")
        return Channel.email, user.email
    if sim is not None and swapped and ctx.now - sim.installed_at < SIM_SWAP_QUARANTINE:
        raise ValidationFailed(
            "The SIM of this line was changed less than 72 hours ago: for your safety the "
            "code cannot be sent by SMS. Use the e-mail on file or contact customer support.",
            code="sim_recently_changed")
    return Channel.sms, line.msisdn if line else user.username


async def start_recovery(session: AsyncSession, ctx: AuthContext, limits: Limits,
                         request: RecoveryStart) -> IssuedCode:
    username = normalize_username(request.username)
    await limits.sending(username)
    user = await UserRepository(session, Scope.operator()).by_username(username)
    if user is not None and user.disabled_at is None:
        channel, destination = await _channel_for(session, ctx, user, request.channel)
    else:  # unknown: the same answer, and nothing is sent
        user = None
        is_number = username.startswith("+")
        channel = Channel.sms if is_number and request.channel != "email" else Channel.email
        destination = ""
    issued = await issue_code(
        session, ctx.settings.secret_key, ctx.now, purpose=CodePurpose.recovery,
        subject=username, channel=channel.value, destination=destination,
        company_id=user.company_id if user else None, user_id=user.id if user else None,
        context={"language": user.language if user else request.language},
    )
    await _send_code(session, ctx, issued)
    return issued


async def _send_code(session: AsyncSession, ctx: AuthContext, issued: IssuedCode) -> None:
    code_record = issued.record
    if code_record.user_id is None or not code_record.destination:
        return
    await enqueue(session, Channel(code_record.channel), code_record.destination,
                  "recovery_code", code_record.context.get("language", "it"),
                  {"code": issued.code, "minutes": MINUTES}, now=ctx.now,
                  company_id=code_record.company_id)


async def resend_recovery(session: AsyncSession, ctx: AuthContext, limits: Limits,
                          public_id: str) -> IssuedCode:
    issued = await resend_by_id(session, ctx, limits, public_id, CodePurpose.recovery)
    await _send_code(session, ctx, issued)
    return issued


async def complete_recovery(session: AsyncSession, ctx: AuthContext, limits: Limits,
                            hasher: PasswordHasher, public_id: str, code: str) -> str:
    """The right code: the old password stops working, every session ends, and a generated
    password (shown once, good for one sign-in) takes its place."""
    code_record = await redeem(session, ctx, limits, public_id, CodePurpose.recovery, code)
    user = await session.get(User, code_record.user_id) if code_record.user_id else None
    if user is None or user.disabled_at is not None:
        raise invalid_code()
    new_password = generate_password()
    user.password_hash = await hasher.hash(new_password, username=user.username)
    user.must_change_password = True
    user.password_changed_at = ctx.now
    await end_all_sessions(session, ctx, user, "password_reset")
    await record(session, "password_reset", now=ctx.now, company_id=user.company_id,
                 user_id=user.id, subject=user.username, client_ip=ctx.client_ip,
                 channel=code_record.channel)
    await enqueue(session, Channel(code_record.channel), code_record.destination,
                  "password_reset_done", user.language, {}, now=ctx.now,
                  company_id=user.company_id)
    return new_password
