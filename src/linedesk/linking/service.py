"""Link SIM (SPEC R-A10): the linked line's holder consents with the code sent to it."""

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import NotFound, ValidationFailed
from linedesk.identity.codes import (
    CodeCall,
    CodeFlow,
    IssuedCode,
    redeem,
    resend_by_id,
)
from linedesk.identity.models import CodePurpose, LinkedLine, User
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext, audit, message_user
from linedesk.inventory.models import Line, LineStatus
from linedesk.inventory.repository import LineRepository
from linedesk.kit.phone import LineKind, parse_mobile
from linedesk.kit.repository import Scope
from linedesk.linking.repository import LinkedLineRepository
from linedesk.messaging.models import Channel

MAX_LINKED = 2


async def _linkable_line(session: AsyncSession, user: User, raw: str) -> Line:
    """A mobile line of the same company (same VAT number), not already the user's."""
    msisdn = parse_mobile(raw)
    line = await LineRepository(session, Scope.company(user.company_id)).get_by_msisdn(msisdn)
    if line is None or line.kind is not LineKind.mobile or line.status is LineStatus.ceased:
        raise NotFound("No mobile line of your company has this number")
    own = {
        owned.id
        for owned in await UserRepository(session, Scope.company(user.company_id)).lines_of(user)
    }
    if line.id in own:
        raise ValidationFailed("This line is already yours or linked", code="already_linked")
    if await LinkedLineRepository(session, user).count() >= MAX_LINKED:
        raise ValidationFailed(
            f"You can link at most {MAX_LINKED} lines: unlink one first",
            code="too_many_linked_lines",
        )
    return line


async def start_link(call: CodeCall, user: User, raw_msisdn: str) -> IssuedCode:
    session, ctx = call.session, call.ctx
    line = await _linkable_line(session, user, raw_msisdn)
    await call.limits.sending(line.msisdn)
    return await LINK_CODES.issue(
        session,
        ctx,
        subject=line.msisdn,
        channel=Channel.sms,
        destination=line.msisdn,
        company_id=user.company_id,
        user_id=user.id,
        context={"line_id": line.id, "language": user.language},
    )


async def _send_code(session: AsyncSession, ctx: AuthContext, issued: IssuedCode) -> None:
    user = await session.get(User, issued.record.user_id)  # the requester, already loaded
    assert user is not None
    await message_user(
        session,
        ctx,
        user,
        Channel.sms,
        issued.record.destination,
        "link_code",
        issued.payload(requester=user.username),
    )


LINK_CODES = CodeFlow(CodePurpose.link_line, _send_code)


async def resend_link(call: CodeCall, user: User, public_id: str) -> IssuedCode:
    issued = await resend_by_id(call, public_id, LINK_CODES.purpose, owner_id=user.id)
    await LINK_CODES.send(call.session, call.ctx, issued)
    return issued


async def complete_link(call: CodeCall, user: User, public_id: str, code: str) -> Line:
    session, ctx = call.session, call.ctx
    code_record = await redeem(call, public_id, CodePurpose.link_line, code, owner_id=user.id)
    # Counted under the user's lock: completions at the same moment cannot pass 2 links.
    await UserRepository(session, Scope.company(user.company_id)).lock(user.id)
    line = await _linkable_line(session, user, code_record.subject)
    session.add(
        LinkedLine(company_id=user.company_id, user_id=user.id, line_id=line.id, linked_at=ctx.now)
    )
    await session.flush()
    await audit(session, ctx, "line_linked", user, subject=line.msisdn)
    channel, recipient = (
        (Channel.sms, user.username) if user.main_line_id else (Channel.email, user.email or "")
    )
    if recipient:
        await message_user(
            session, ctx, user, channel, recipient, "line_linked", {"msisdn": line.msisdn}
        )
    return line


async def unlink(session: AsyncSession, ctx: AuthContext, user: User, raw_msisdn: str) -> None:
    msisdn = parse_mobile(raw_msisdn)
    line = await LineRepository(session, Scope.company(user.company_id)).get_by_msisdn(msisdn)
    removed = 0
    if line is not None:
        removed = await LinkedLineRepository(session, user).unlink(line.id)
    if not removed or line is None:
        raise NotFound("This line is not linked to your account")
    await audit(session, ctx, "line_unlinked", user, subject=line.msisdn)
