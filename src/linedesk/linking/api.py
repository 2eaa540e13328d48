"""Link SIM routes (SPEC §9: /me/linked-lines) and the line switcher."""

from fastapi import APIRouter, Response, status

from linedesk.deps import SessionDep
from linedesk.identity.api import code_route
from linedesk.identity.auth import AuthContextDep, CodeCallDep, CurrentUser
from linedesk.identity.schemas import CodeEntry, MeResponse
from linedesk.identity.service import choose_active_line, describe_user
from linedesk.linking.schemas import ActiveLine, LinkStart, LinkTicket
from linedesk.linking.service import complete_link, resend_link, start_link, unlink

router = APIRouter(tags=["link SIM"])


@code_route(router, "/me/linked-lines", LinkTicket)
async def link(body: LinkStart, principal: CurrentUser, call: CodeCallDep) -> LinkTicket:
    """Ask to link a line of the same VAT number (at most 2): its holder receives a code by
    SMS and gives it to you if they agree."""
    return LinkTicket.of(await start_link(call, principal.user, body.msisdn))


@code_route(router, "/me/linked-lines/{link_id}/resend", LinkTicket)
async def resend(link_id: str, principal: CurrentUser, call: CodeCallDep) -> LinkTicket:
    return LinkTicket.of(await resend_link(call, principal.user, link_id))


@router.post("/me/linked-lines/{link_id}/complete", response_model=MeResponse)
async def complete(
    link_id: str, body: CodeEntry, principal: CurrentUser, call: CodeCallDep
) -> MeResponse:
    """Enter the code the linked line received: the line is linked."""
    await complete_link(call, principal.user, link_id, body.code)
    return await describe_user(call.session, principal.user, principal.session)


@router.delete("/me/linked-lines/{msisdn}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_link(
    msisdn: str, principal: CurrentUser, session: SessionDep, ctx: AuthContextDep
) -> Response:
    """Unlink a line in one action."""
    await unlink(session, ctx, principal.user, msisdn)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/me/active-line", response_model=MeResponse)
async def active_line(body: ActiveLine, principal: CurrentUser, session: SessionDep) -> MeResponse:
    """Switch the line this session shows (the switcher under the avatar)."""
    await choose_active_line(session, principal.user, principal.session, body.msisdn)
    return await describe_user(session, principal.user, principal.session)
