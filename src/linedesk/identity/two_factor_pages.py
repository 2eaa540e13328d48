"""The two-factor page of managers (R-A11): start the setup, scan the QR code, confirm with a
first code; or turn it off with a current code."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from linedesk.deps import LimiterDep, SessionDep
from linedesk.errors import LinedeskError
from linedesk.identity.auth import AuthContextDep
from linedesk.identity.principal import Principal
from linedesk.identity.schemas import TwoFactorSetup
from linedesk.identity.totp import provisioning_uri, qr_svg
from linedesk.identity.two_factor import begin_setup, disable, enable
from linedesk.identity.web_auth import WebManager
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import settle
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/account/two-factor"
TEMPLATE = "managers/two_factor.html"
Action = Literal["setup", "enable", "disable"]


def _pending(principal: Principal) -> TwoFactorSetup | None:
    """The setup begun but not yet confirmed, shown again after a wrong first code."""
    secret = principal.user.totp_secret
    if secret is None or principal.user.totp_enabled:
        return None
    uri = provisioning_uri(secret, principal.user.username)
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


@router.get(PAGE)
async def two_factor_page(
    request: Request, principal: WebManager, done: Literal["on", "off"] | None = None
) -> Response:
    return render(request, TEMPLATE, done=done)


@router.post(PAGE)
async def two_factor_change(
    request: Request,
    _: CsrfChecked,
    principal: WebManager,
    session: SessionDep,
    ctx: AuthContextDep,
    limiter: LimiterDep,
    action: Annotated[Action, Form()],
    code: Annotated[str, Form()] = "",
) -> Response:
    """One form per state: `setup` shows the QR code, `enable` and `disable` take a code."""
    try:
        if action == "setup":
            setup = await begin_setup(session, principal.user)
            return render(request, TEMPLATE, setup=setup)
        if action == "enable":
            await enable(session, ctx, limiter, principal.user, principal.session, code.strip())
        else:
            await disable(session, ctx, limiter, principal.user, code.strip())
    except LinedeskError as exc:
        await settle(session, exc)
        return render(
            request,
            TEMPLATE,
            status_code=exc.status_code,
            error=exc,
            setup=_pending(principal) if action == "enable" else None,
        )
    return redirect(f"{PAGE}?done={'on' if action == 'enable' else 'off'}")
