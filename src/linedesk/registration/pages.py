"""Pages of registration: the employee's wizard (code by SMS, or by e-mail for a data-only
SIM proved with its PUK) and the user admin's registration on the web portal (R-A3, R-A4)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.errors import LinedeskError, ValidationFailed
from linedesk.identity.auth import AuthContextDep, CodeLimitsDep, HasherDep
from linedesk.identity.code_step import CodeStep, language
from linedesk.identity.models import CodePurpose
from linedesk.identity.web_auth import Visitor, signed_in
from linedesk.registration.schemas import (
    ManagerRegistrationComplete,
    ManagerRegistrationStart,
    RegistrationStart,
)
from linedesk.registration.service import (
    complete_manager_registration,
    complete_registration,
    resend_registration,
    start_manager_registration,
    start_registration,
)
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import Field, OptionalField, form_model, refused
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)


# --- employees -----------------------------------------------------------------------------

EMPLOYEE_START = "registration/start.html"
EMPLOYEE_CODE = CodeStep("registration/code.html", CodePurpose.registration)


@router.get("/register")
async def register_page(request: Request, visitor: Visitor) -> Response:
    if visitor is not None:
        return redirect("/home")
    return render(request, EMPLOYEE_START, form={})


@router.post("/register")
async def register(
    request: Request,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    msisdn: Field,
    data_only: OptionalField = None,
    puk: OptionalField = None,
    email: OptionalField = None,
) -> Response:
    form = {"msisdn": msisdn, "data_only": bool(data_only), "email": email}
    try:
        body = form_model(RegistrationStart, **form, puk=puk, language=language(request, ctx))
        issued = await start_registration(session, ctx, limits, body)
    except LinedeskError as exc:
        if exc.code == "data_only_sim":  # the way that works: the box ticked, PUK and e-mail
            form["data_only"] = True
        return await refused(request, session, exc, EMPLOYEE_START, form=form)
    return redirect(f"/register/{issued.record.public_id}")


@router.get("/register/{registration_id}")
async def register_code_page(
    request: Request, registration_id: str, session: SessionDep, ctx: AuthContextDep
) -> Response:
    return await EMPLOYEE_CODE.page(request, session, ctx, registration_id)


@router.post("/register/{registration_id}")
async def register_complete(
    request: Request,
    registration_id: str,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    hasher: HasherDep,
    code: Field,
    password: Field,
    confirm_password: Field,
) -> Response:
    try:
        if password != confirm_password:
            raise ValidationFailed("The two passwords differ", code="password_mismatch")
        user = await complete_registration(
            session, ctx, limits, hasher, registration_id, code.strip(), password
        )
    except LinedeskError as exc:
        return await EMPLOYEE_CODE.page(request, session, ctx, registration_id, exc)
    return await signed_in(session, ctx, user, "registration", redirect("/home"))


@router.post("/register/{registration_id}/resend")
async def register_resend(
    request: Request,
    registration_id: str,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
) -> Response:
    resend = resend_registration(session, ctx, limits, registration_id, CodePurpose.registration)
    url = f"/register/{registration_id}"
    return await EMPLOYEE_CODE.resent(request, session, ctx, registration_id, resend, url)


# --- user admins (web portal) --------------------------------------------------------------

PORTAL_START = "registration/portal_start.html"
PORTAL_CODE = CodeStep(
    "registration/portal_code.html", CodePurpose.manager_registration, {"form": {}}
)


@router.get("/portal/register")
async def portal_register_page(request: Request, visitor: Visitor) -> Response:
    if visitor is not None:
        return redirect("/home")
    return render(request, PORTAL_START, form={})


@router.post("/portal/register")
async def portal_register(
    request: Request,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    vat_number: Field,
    billing_account_code: Field,
) -> Response:
    form = {"vat_number": vat_number, "billing_account_code": billing_account_code}
    try:
        body = form_model(ManagerRegistrationStart, **form, language=language(request, ctx))
        issued = await start_manager_registration(session, ctx, limits, body)
    except LinedeskError as exc:
        return await refused(request, session, exc, PORTAL_START, form=form)
    return redirect(f"/portal/register/{issued.record.public_id}")


@router.get("/portal/register/{registration_id}")
async def portal_code_page(
    request: Request, registration_id: str, session: SessionDep, ctx: AuthContextDep
) -> Response:
    return await PORTAL_CODE.page(request, session, ctx, registration_id)


@router.post("/portal/register/{registration_id}")
async def portal_complete(
    request: Request,
    registration_id: str,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    hasher: HasherDep,
    code: Field,
    username: Field,
    password: Field,
    confirm_password: Field,
    email: OptionalField = None,
) -> Response:
    form = {"username": username, "email": email}
    try:
        if password != confirm_password:
            raise ValidationFailed("The two passwords differ", code="password_mismatch")
        body = form_model(ManagerRegistrationComplete, **form, code=code.strip(), password=password)
        user = await complete_manager_registration(
            session, ctx, limits, hasher, registration_id, body
        )
    except LinedeskError as exc:
        return await PORTAL_CODE.page(request, session, ctx, registration_id, exc, form=form)
    return await signed_in(session, ctx, user, "registration", redirect("/home"))


@router.post("/portal/register/{registration_id}/resend")
async def portal_resend(
    request: Request,
    registration_id: str,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
) -> Response:
    resend = resend_registration(
        session, ctx, limits, registration_id, CodePurpose.manager_registration
    )
    url = f"/portal/register/{registration_id}"
    return await PORTAL_CODE.resent(request, session, ctx, registration_id, resend, url)
