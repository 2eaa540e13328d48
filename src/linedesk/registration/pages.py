"""Pages of registration: the employee's wizard (code by SMS, or by e-mail for a data-only
SIM proved with its PUK) and the user admin's registration on the web portal (R-A3, R-A4)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.errors import LinedeskError
from linedesk.identity.auth import AuthContextDep
from linedesk.identity.code_step import CodePostDep, CodeStep, chosen_password, first_step
from linedesk.identity.web_auth import Visitor, signed_in
from linedesk.registration.schemas import (
    ManagerRegistrationComplete,
    ManagerRegistrationStart,
    RegistrationStart,
)
from linedesk.registration.service import (
    EMPLOYEE_CODES,
    MANAGER_CODES,
    complete_manager_registration,
    complete_registration,
    start_manager_registration,
    start_registration,
)
from linedesk.web.forms import Field, OptionalField, form_model, refused
from linedesk.web.templating import redirect

router = APIRouter(include_in_schema=False)


# --- employees -----------------------------------------------------------------------------

EMPLOYEE_START = "registration/start.html"
EMPLOYEE_CODE = CodeStep("registration/code.html", EMPLOYEE_CODES)


@router.get("/register")
async def register_page(request: Request, visitor: Visitor) -> Response:
    return first_step(request, visitor, EMPLOYEE_START)


@router.post("/register")
async def register(
    post: CodePostDep,
    msisdn: Field,
    data_only: OptionalField = None,
    puk: OptionalField = None,
    email: OptionalField = None,
) -> Response:
    form = {"msisdn": msisdn, "data_only": bool(data_only), "email": email}
    try:
        body = form_model(RegistrationStart, **form, puk=puk, language=post.language)
        issued = await start_registration(post.call, body)
    except LinedeskError as exc:
        if exc.code == "data_only_sim":  # the way that works: the box ticked, PUK and e-mail
            form["data_only"] = True
        return await refused(post.request, post.session, exc, EMPLOYEE_START, form=form)
    return redirect(f"/register/{issued.record.public_id}")


@router.get("/register/{registration_id}")
async def register_code_page(
    request: Request, registration_id: str, session: SessionDep, ctx: AuthContextDep
) -> Response:
    return await EMPLOYEE_CODE.page(request, session, ctx, registration_id)


@router.post("/register/{registration_id}")
async def register_complete(
    registration_id: str,
    post: CodePostDep,
    code: Field,
    password: Field,
    confirm_password: Field,
) -> Response:
    try:
        user = await complete_registration(
            post.call,
            registration_id,
            code.strip(),
            chosen_password(password, confirm_password),
        )
    except LinedeskError as exc:
        return await EMPLOYEE_CODE.refused(post, registration_id, exc)
    return await signed_in(post.session, post.ctx, user, "registration", redirect("/home"))


@router.post("/register/{registration_id}/resend")
async def register_resend(registration_id: str, post: CodePostDep) -> Response:
    return await EMPLOYEE_CODE.resent(post, registration_id, f"/register/{registration_id}")


# --- user admins (web portal) --------------------------------------------------------------

PORTAL_START = "registration/portal_start.html"
PORTAL_CODE = CodeStep("registration/portal_code.html", MANAGER_CODES, {"form": {}})


@router.get("/portal/register")
async def portal_register_page(request: Request, visitor: Visitor) -> Response:
    return first_step(request, visitor, PORTAL_START)


@router.post("/portal/register")
async def portal_register(
    post: CodePostDep,
    vat_number: Field,
    billing_account_code: Field,
) -> Response:
    form = {"vat_number": vat_number, "billing_account_code": billing_account_code}
    try:
        body = form_model(ManagerRegistrationStart, **form, language=post.language)
        issued = await start_manager_registration(post.call, body)
    except LinedeskError as exc:
        return await refused(post.request, post.session, exc, PORTAL_START, form=form)
    return redirect(f"/portal/register/{issued.record.public_id}")


@router.get("/portal/register/{registration_id}")
async def portal_code_page(
    request: Request, registration_id: str, session: SessionDep, ctx: AuthContextDep
) -> Response:
    return await PORTAL_CODE.page(request, session, ctx, registration_id)


@router.post("/portal/register/{registration_id}")
async def portal_complete(
    registration_id: str,
    post: CodePostDep,
    code: Field,
    username: Field,
    password: Field,
    confirm_password: Field,
    email: OptionalField = None,
) -> Response:
    form = {"username": username, "email": email}
    try:
        chosen = chosen_password(password, confirm_password)
        body = form_model(ManagerRegistrationComplete, **form, code=code.strip(), password=chosen)
        user = await complete_manager_registration(post.call, registration_id, body)
    except LinedeskError as exc:
        return await PORTAL_CODE.refused(post, registration_id, exc, form=form)
    return await signed_in(post.session, post.ctx, user, "registration", redirect("/home"))


@router.post("/portal/register/{registration_id}/resend")
async def portal_resend(registration_id: str, post: CodePostDep) -> Response:
    url = f"/portal/register/{registration_id}"
    return await PORTAL_CODE.resent(post, registration_id, url)
