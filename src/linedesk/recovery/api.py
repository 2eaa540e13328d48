"""Password recovery routes (SPEC §9: /password-recoveries)."""

from fastapi import APIRouter

from linedesk.identity.api import code_route
from linedesk.identity.auth import CodeCallDep
from linedesk.identity.schemas import CodeEntry
from linedesk.recovery.schemas import NewPassword, RecoveryStart, RecoveryTicket
from linedesk.recovery.service import RECOVERY_CODES, complete_recovery, start_recovery

router = APIRouter(tags=["password recovery"])


@code_route(router, "/password-recoveries", RecoveryTicket)
async def recover(body: RecoveryStart, call: CodeCallDep) -> RecoveryTicket:
    """Ask for a recovery code by SMS (or e-mail). The answer is the same for every username,
    known or not, and names the channel asked for. When the code cannot go that way (SMS in
    the 72 hours after the line's SIM was changed, e-mail without an address on file), no
    code is sent: the user is told why, and what to do, on the other channel."""
    return RecoveryTicket.of(await start_recovery(call, body))


@code_route(router, "/password-recoveries/{recovery_id}/resend", RecoveryTicket)
async def resend(recovery_id: str, call: CodeCallDep) -> RecoveryTicket:
    return RecoveryTicket.of(await RECOVERY_CODES.resend(call, recovery_id))


@router.post("/password-recoveries/{recovery_id}/complete", response_model=NewPassword)
async def complete(recovery_id: str, body: CodeEntry, call: CodeCallDep) -> NewPassword:
    """Enter the code: a new password is generated and shown once. It signs in once, and
    then the user must choose their own (`must_change_password`)."""
    return NewPassword(new_password=await complete_recovery(call, recovery_id, body.code))
