"""Link SIM pages (Associa SIM), reached from the avatar menu."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import LinedeskError
from linedesk.identity.auth import AuthContextDep
from linedesk.identity.code_pages import CodePostDep
from linedesk.identity.codes import find_code, resend_after
from linedesk.identity.models import CodePurpose
from linedesk.identity.principal import Principal
from linedesk.identity.web_auth import WebUser, count_visit
from linedesk.linking.service import MAX_LINKED, complete_link, resend_link, start_link, unlink
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import Field, settle
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)


def _link_sim_page(
    request: Request, principal: Principal, status_code: int = 200, **context: Any
) -> Response:
    """The Link SIM page: the lines linked so far (all but the user's own) and the form."""
    menu = request.state.menu
    linked = [line.msisdn for line in menu.lines if line.id != principal.user.main_line_id]
    return render(
        request,
        "linking/link_sim.html",
        status_code=status_code,
        linked_lines=linked,
        max_linked=MAX_LINKED,
        **context,
    )


@router.get("/link-sim")
async def link_sim(
    request: Request,
    principal: WebUser,
    session: SessionDep,
    clock: ClockDep,
    linked: str | None = None,
) -> Response:
    await count_visit(request, session, principal, "link_sim", clock.now())
    return _link_sim_page(request, principal, just_linked=linked)


@router.post("/link-sim")
async def link_sim_start(post: CodePostDep, principal: WebUser, msisdn: Field) -> Response:
    try:
        issued = await start_link(post.call, principal.user, msisdn)
    except LinedeskError as exc:
        await settle(post.session, exc)
        return _link_sim_page(post.request, principal, exc.status_code, error=exc, msisdn=msisdn)
    return redirect(f"/link-sim/{issued.record.public_id}")


@router.post("/link-sim/unlink")
async def link_sim_unlink(
    request: Request,
    _: CsrfChecked,
    principal: WebUser,
    session: SessionDep,
    ctx: AuthContextDep,
    msisdn: Field,
) -> Response:
    await unlink(session, ctx, principal.user, msisdn)
    return redirect("/link-sim")


async def _code_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    link_id: str,
    error: LinedeskError | None = None,
    resent: bool = False,
) -> Response:
    """The page to enter the code the linked line received, with 'send again'."""
    if error is not None:
        await settle(session, error)
    code_record = await find_code(session, link_id, CodePurpose.link_line)
    if code_record is None or code_record.user_id != principal.user.id:
        return redirect("/link-sim")
    return render(
        request,
        "linking/link_code.html",
        status_code=error.status_code if error else 200,
        error=error,
        link_id=link_id,
        msisdn=code_record.subject,
        resend_after=resend_after(code_record),
        resent=resent,
    )


@router.get("/link-sim/{link_id}")
async def link_sim_code(
    request: Request, principal: WebUser, session: SessionDep, link_id: str
) -> Response:
    return await _code_page(request, session, principal, link_id)


@router.post("/link-sim/{link_id}")
async def link_sim_complete(
    post: CodePostDep, principal: WebUser, link_id: str, code: Field
) -> Response:
    try:
        line = await complete_link(post.call, principal.user, link_id, code.strip())
    except LinedeskError as exc:
        return await _code_page(post.request, post.session, principal, link_id, error=exc)
    return redirect(f"/link-sim?linked={quote(line.msisdn)}")


@router.post("/link-sim/{link_id}/resend")
async def link_sim_resend(post: CodePostDep, principal: WebUser, link_id: str) -> Response:
    try:
        await resend_link(post.call, principal.user, link_id)
    except LinedeskError as exc:
        return await _code_page(post.request, post.session, principal, link_id, error=exc)
    return await _code_page(post.request, post.session, principal, link_id, resent=True)
