"""Pages of password recovery (SPEC R-A6): ask for a code, enter it, see the generated
password once, sign in with it (explicitly, now or later the same day) and choose your own."""

from fastapi import APIRouter
from starlette.responses import Response

from linedesk.errors import LinedeskError
from linedesk.identity.code_pages import CodePages, CodePostDep, ticket
from linedesk.identity.models import CodePurpose
from linedesk.identity.service import GENERATED_PASSWORD_TTL
from linedesk.recovery.schemas import RecoveryStart
from linedesk.recovery.service import RECOVERY_CODES, complete_recovery, start_recovery
from linedesk.web.forms import Field, OptionalField
from linedesk.web.templating import render

router = APIRouter(include_in_schema=False)

RECOVERY = CodePages(
    "/recover",
    "recovery_id",
    "recovery/start.html",
    "recovery/code.html",
    RECOVERY_CODES,
    signed_in_to="/account/password",
)
RECOVERY.add_routes(router)


@router.post("/recover")
async def recover(
    post: CodePostDep,
    username: Field,
    by_email: OptionalField = None,
) -> Response:
    form = {"username": username, "by_email": bool(by_email)}
    channel = "email" if by_email else None
    return await RECOVERY.begin(
        post, form, RecoveryStart, start_recovery, username=username, channel=channel
    )


@router.post("/recover/{recovery_id}")
async def complete(recovery_id: str, post: CodePostDep, code: Field) -> Response:
    """The right code: the generated password is shown once, beside a sign-in form. It is
    not spent here: closing the page and signing in with it later still works, once."""
    record = await ticket(post.session, recovery_id, CodePurpose.recovery)
    try:
        generated = await complete_recovery(post.call, recovery_id, code.strip())
    except LinedeskError as exc:
        return await RECOVERY.refused(post, recovery_id, exc)
    response = render(
        post.request,
        "recovery/done.html",
        generated_password=generated,
        username=record.subject,
        hours=int(GENERATED_PASSWORD_TTL.total_seconds() // 3600),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
