"""Pages of password recovery (SPEC R-A6): ask for a code, enter it, see the generated
password once, sign in with it (explicitly, now or later the same day) and choose your own."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.errors import LinedeskError
from linedesk.identity.auth import AuthContextDep
from linedesk.identity.code_step import CodePostDep, CodeStep, first_step, ticket
from linedesk.identity.models import CodePurpose
from linedesk.identity.service import GENERATED_PASSWORD_TTL
from linedesk.identity.web_auth import Visitor
from linedesk.recovery.schemas import RecoveryStart
from linedesk.recovery.service import RECOVERY_CODES, complete_recovery, start_recovery
from linedesk.web.forms import Field, OptionalField, form_model, refused
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

START = "recovery/start.html"
CODE = CodeStep("recovery/code.html", RECOVERY_CODES)


@router.get("/recover")
async def recover_page(request: Request, visitor: Visitor) -> Response:
    return first_step(request, visitor, START, signed_in_to="/account/password")


@router.post("/recover")
async def recover(
    post: CodePostDep,
    username: Field,
    by_email: OptionalField = None,
) -> Response:
    form = {"username": username, "by_email": bool(by_email)}
    try:
        body = form_model(
            RecoveryStart,
            username=username,
            channel="email" if by_email else None,
            language=post.language,
        )
        issued = await start_recovery(post.call, body)
    except LinedeskError as exc:
        return await refused(post.request, post.session, exc, START, form=form)
    return redirect(f"/recover/{issued.record.public_id}")


@router.get("/recover/{recovery_id}")
async def code_entry_page(
    request: Request, recovery_id: str, session: SessionDep, ctx: AuthContextDep
) -> Response:
    return await CODE.page(request, session, ctx, recovery_id)


@router.post("/recover/{recovery_id}")
async def complete(recovery_id: str, post: CodePostDep, code: Field) -> Response:
    """The right code: the generated password is shown once, beside a sign-in form. It is
    not spent here: closing the page and signing in with it later still works, once."""
    record = await ticket(post.session, recovery_id, CodePurpose.recovery)
    try:
        generated = await complete_recovery(post.call, recovery_id, code.strip())
    except LinedeskError as exc:
        return await CODE.refused(post, recovery_id, exc)
    response = render(
        post.request,
        "recovery/done.html",
        generated_password=generated,
        username=record.subject,
        hours=int(GENERATED_PASSWORD_TTL.total_seconds() // 3600),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/recover/{recovery_id}/resend")
async def resend(recovery_id: str, post: CodePostDep) -> Response:
    return await CODE.resent(post, recovery_id, f"/recover/{recovery_id}")
