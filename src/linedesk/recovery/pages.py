"""Pages of password recovery (SPEC R-A6): ask for a code, enter it, see the generated
password once, sign in with it (explicitly, now or later the same day) and choose your own."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.errors import LinedeskError
from linedesk.identity.auth import AuthContextDep, CodeLimitsDep, HasherDep
from linedesk.identity.code_step import CodeStep, language, ticket
from linedesk.identity.models import CodePurpose
from linedesk.identity.service import GENERATED_PASSWORD_TTL
from linedesk.identity.web_auth import Visitor
from linedesk.recovery.schemas import RecoveryStart
from linedesk.recovery.service import complete_recovery, resend_recovery, start_recovery
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import Field, OptionalField, form_model, refused
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

START = "recovery/start.html"
CODE = CodeStep("recovery/code.html", CodePurpose.recovery)


@router.get("/recover")
async def recover_page(request: Request, visitor: Visitor) -> Response:
    if visitor is not None:
        return redirect("/account/password")
    return render(request, START, form={})


@router.post("/recover")
async def recover(
    request: Request,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    username: Field,
    by_email: OptionalField = None,
) -> Response:
    form = {"username": username, "by_email": bool(by_email)}
    try:
        body = form_model(
            RecoveryStart,
            username=username,
            channel="email" if by_email else None,
            language=language(request, ctx),
        )
        issued = await start_recovery(session, ctx, limits, body)
    except LinedeskError as exc:
        return await refused(request, session, exc, START, form=form)
    return redirect(f"/recover/{issued.record.public_id}")


@router.get("/recover/{recovery_id}")
async def code_entry_page(
    request: Request, recovery_id: str, session: SessionDep, ctx: AuthContextDep
) -> Response:
    return await CODE.page(request, session, ctx, recovery_id)


@router.post("/recover/{recovery_id}")
async def complete(
    request: Request,
    recovery_id: str,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    hasher: HasherDep,
    code: Field,
) -> Response:
    """The right code: the generated password is shown once, beside a sign-in form. It is
    not spent here: closing the page and signing in with it later still works, once."""
    record = await ticket(session, recovery_id, CodePurpose.recovery)
    try:
        generated = await complete_recovery(session, ctx, limits, hasher, recovery_id, code.strip())
    except LinedeskError as exc:
        return await CODE.page(request, session, ctx, recovery_id, exc)
    response = render(
        request,
        "recovery/done.html",
        generated_password=generated,
        username=record.subject,
        hours=int(GENERATED_PASSWORD_TTL.total_seconds() // 3600),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/recover/{recovery_id}/resend")
async def resend(
    request: Request,
    recovery_id: str,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
) -> Response:
    resend = resend_recovery(session, ctx, limits, recovery_id)
    return await CODE.resent(request, session, ctx, recovery_id, resend, f"/recover/{recovery_id}")
