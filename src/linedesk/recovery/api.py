"""Password recovery routes (SPEC §9: /password-recoveries)."""

from fastapi import APIRouter, status

from linedesk.deps import SessionDep
from linedesk.identity.auth import AuthContextDep, CodeLimitsDep, HasherDep
from linedesk.identity.schemas import CodeEntry
from linedesk.recovery.schemas import NewPassword, RecoveryStart, RecoveryTicket
from linedesk.recovery.service import complete_recovery, resend_recovery, start_recovery

router = APIRouter(tags=["password recovery"])


@router.post(
    "/password-recoveries", response_model=RecoveryTicket, status_code=status.HTTP_202_ACCEPTED
)
async def recover(
    body: RecoveryStart, session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep
) -> RecoveryTicket:
    """Ask for a recovery code by SMS (or e-mail). The answer is the same for every username,
    known or not, and names the channel asked for. When the code cannot go that way (SMS in
    the 72 hours after the line's SIM was changed, e-mail without an address on file), no
    code is sent: the user is told why, and what to do, on the other channel."""
    return RecoveryTicket.of(await start_recovery(session, ctx, limits, body))


@router.post(
    "/password-recoveries/{recovery_id}/resend",
    response_model=RecoveryTicket,
    status_code=status.HTTP_202_ACCEPTED,
)
async def resend(
    recovery_id: str, session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep
) -> RecoveryTicket:
    return RecoveryTicket.of(await resend_recovery(session, ctx, limits, recovery_id))


@router.post("/password-recoveries/{recovery_id}/complete", response_model=NewPassword)
async def complete(
    recovery_id: str,
    body: CodeEntry,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    hasher: HasherDep,
) -> NewPassword:
    """Enter the code: a new password is generated and shown once. It signs in once, and
    then the user must choose their own (`must_change_password`)."""
    return NewPassword(
        new_password=await complete_recovery(session, ctx, limits, hasher, recovery_id, body.code)
    )
