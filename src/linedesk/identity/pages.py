"""Pages of signing in: the sign-in page (password, autologin attempt), sign-out, change of
password, the line switcher. (Home is the dashboard's: linedesk.dashboard.pages.)"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from linedesk.deps import ClockDep, LimiterDep, SessionDep
from linedesk.errors import LinedeskError, NotFound, ValidationFailed
from linedesk.identity.auth import AuthContextDep, HasherDep
from linedesk.identity.autologin import employee_of_line
from linedesk.identity.service import AuthContext, change_password, choose_active_line, sign_out
from linedesk.identity.sign_in_limits import password_sign_in
from linedesk.identity.web_auth import (
    Visitor,
    WebUser,
    clear_session_cookie,
    count_visit,
    signed_in,
)
from linedesk.kit.network import parse_address, vouched_msisdn
from linedesk.kit.phone import parse_mobile
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import Field, OptionalField, settle
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/home"


def _on_mobile_network(request: Request, ctx: AuthContext) -> bool:
    """Whether the operator's gateway vouches for this visitor's line: only then does the
    sign-in page try automatic sign-in (elsewhere it would always be refused)."""
    vouched = vouched_msisdn(
        parse_address(ctx.client_ip or ""), request.headers, ctx.settings, ctx.now
    )
    return vouched is not None


@router.get("/login")
async def login_page(
    request: Request, visitor: Visitor, ctx: AuthContextDep, next: str | None = None
) -> Response:
    if visitor is not None:
        return redirect(_safe_next(next))
    return render(
        request,
        "identity/login.html",
        next=_safe_next(next),
        try_autologin=_on_mobile_network(request, ctx),
    )


@router.post("/login")
async def login(
    request: Request,
    _: CsrfChecked,
    session: SessionDep,
    ctx: AuthContextDep,
    hasher: HasherDep,
    limiter: LimiterDep,
    username: Field,
    password: Field,
    totp_code: OptionalField = None,
    next: OptionalField = None,
) -> Response:
    try:
        user = await password_sign_in(
            session, hasher, limiter, ctx, username, password, totp_code or None
        )
    except LinedeskError as exc:
        await settle(session, exc)
        refused = render(
            request,
            "identity/login.html",
            status_code=exc.status_code,
            error=exc,
            username=username,
            next=_safe_next(next),
            ask_totp=exc.code in ("totp_required", "totp_invalid"),
        )
        refused.headers.update(exc.headers or {})  # Retry-After of a limit, as the API's
        return refused
    return await signed_in(
        session,
        ctx,
        user,
        "password",
        redirect("/account/password" if user.must_change_password else _safe_next(next)),
    )


@router.post("/login/autologin")
async def web_autologin(request: Request, session: SessionDep, ctx: AuthContextDep) -> Response:
    """Tried by the sign-in page on load: signs in when the mobile network vouches for the
    line, else explains why not (JSON, for the page's script)."""
    msisdn = vouched_msisdn(
        parse_address(ctx.client_ip or ""), request.headers, ctx.settings, ctx.now
    )
    return await _autologin_response(session, ctx, msisdn)


@router.post("/dev/autologin")
async def simulated_web_autologin(
    request: Request, _: CsrfChecked, session: SessionDep, ctx: AuthContextDep, msisdn: Field
) -> Response:
    """Development only: the demo's autologin simulator."""
    if not ctx.settings.simulates_autologin:
        raise NotFound("Not Found")
    try:
        number = parse_mobile(msisdn)
        user = await employee_of_line(session, ctx, number)
    except LinedeskError as exc:
        await settle(session, exc)
        # Shown once, beside the simulator's own field, which keeps what was typed.
        reason = (
            "Not an Italian mobile number"
            if isinstance(exc, ValidationFailed)
            else "No active mobile line of a business customer has this number"
        )
        return render(
            request,
            "identity/login.html",
            status_code=exc.status_code,
            simulator_error=reason,
            simulator_msisdn=msisdn,
            next="/home",
        )
    return await signed_in(session, ctx, user, "autologin", redirect("/home"))


async def _autologin_response(
    session: SessionDep, ctx: AuthContextDep, msisdn: str | None
) -> Response:
    try:
        user = await employee_of_line(session, ctx, msisdn)
    except LinedeskError as exc:
        await settle(session, exc)
        # An expected answer, not an error: the page's script reads it (a 401 would be
        # logged in the browser's console).
        return JSONResponse({"signed_in": False, "code": exc.code})
    return await signed_in(
        session, ctx, user, "autologin", JSONResponse({"signed_in": True, "redirect": "/home"})
    )


@router.post("/logout")
async def logout(
    _: CsrfChecked, visitor: Visitor, session: SessionDep, ctx: AuthContextDep
) -> Response:
    if visitor is not None:
        await sign_out(session, ctx, visitor.session)
    response = redirect("/login")
    clear_session_cookie(response, ctx.settings)
    return response


@router.get("/account/password")
async def password_page(
    request: Request, principal: WebUser, session: SessionDep, clock: ClockDep
) -> Response:
    await count_visit(request, session, principal, "password", clock.now())
    return render(request, "identity/password.html")


@router.post("/account/password")
async def password_change(
    request: Request,
    _: CsrfChecked,
    principal: WebUser,
    session: SessionDep,
    ctx: AuthContextDep,
    hasher: HasherDep,
    new_password: Field,
    confirm_password: Field,
    current_password: OptionalField = None,
) -> Response:
    if new_password != confirm_password:
        return render(request, "identity/password.html", status_code=422, mismatch=True)
    try:
        await change_password(
            session, hasher, ctx, principal.user, principal.session, current_password, new_password
        )
    except LinedeskError as exc:
        await settle(session, exc)
        return render(request, "identity/password.html", status_code=exc.status_code, error=exc)
    return render(request, "identity/password.html", changed=True)


@router.post("/switch-line")
async def switch_line(
    _: CsrfChecked,
    principal: WebUser,
    session: SessionDep,
    msisdn: Field,
    next: OptionalField = None,
) -> Response:
    await choose_active_line(session, principal.user, principal.session, msisdn)
    return redirect(_safe_next(next))
