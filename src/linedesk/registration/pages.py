"""Pages of registration: the employee's wizard (code by SMS, or by e-mail for a data-only
SIM proved with its PUK) and the user admin's registration on the web portal (R-A3, R-A4)."""

from fastapi import APIRouter
from starlette.responses import Response

from linedesk.errors import LinedeskError
from linedesk.identity.code_pages import CodePages, CodePostDep, chosen_password
from linedesk.identity.web_auth import signed_in
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
from linedesk.web.forms import Field, OptionalField, form_model
from linedesk.web.templating import redirect

router = APIRouter(include_in_schema=False)


# --- employees -----------------------------------------------------------------------------

EMPLOYEE = CodePages(
    "/register",
    "registration_id",
    "registration/start.html",
    "registration/code.html",
    EMPLOYEE_CODES,
)
EMPLOYEE.add_routes(router)


@router.post("/register")
async def register(
    post: CodePostDep,
    msisdn: Field,
    data_only: OptionalField = None,
    puk: OptionalField = None,
    email: OptionalField = None,
) -> Response:
    form = {"msisdn": msisdn, "data_only": bool(data_only), "email": email}
    return await EMPLOYEE.begin(post, form, RegistrationStart, start_registration, **form, puk=puk)


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
        return await EMPLOYEE.refused(post, registration_id, exc)
    return await signed_in(post.session, post.ctx, user, "registration", redirect("/home"))


# --- user admins (web portal) --------------------------------------------------------------

PORTAL = CodePages(
    "/portal/register",
    "registration_id",
    "registration/portal_start.html",
    "registration/portal_code.html",
    MANAGER_CODES,
    context={"form": {}},
)
PORTAL.add_routes(router)


@router.post("/portal/register")
async def portal_register(
    post: CodePostDep,
    vat_number: Field,
    billing_account_code: Field,
) -> Response:
    form = {"vat_number": vat_number, "billing_account_code": billing_account_code}
    return await PORTAL.begin(
        post, form, ManagerRegistrationStart, start_manager_registration, **form
    )


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
        return await PORTAL.refused(post, registration_id, exc, form=form)
    return await signed_in(post.session, post.ctx, user, "registration", redirect("/home"))
