"""Pages of line actions (SPEC §8b): a line's actions (block, unblock with the password,
services, spending cap, SIM and eSIM replacement), "Offerte e servizi", the employee's
"Ho perso la SIM", "Richieste" with their states, and the bulk upload. Every action goes
through a page that says what will happen before it is asked."""

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.deps import SessionDep
from linedesk.errors import LinedeskError, ValidationFailed
from linedesk.identity.auth import AuthContextDep, HasherDep
from linedesk.identity.principal import Principal
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext
from linedesk.identity.web_auth import WebManager, WebUser
from linedesk.kit.pagination import IdPath, Page
from linedesk.lineactions import bulk, service
from linedesk.lineactions.models import BlockReason, LineRequest, SimKind
from linedesk.lineactions.offers import offer_catalogue, pending_offer_change
from linedesk.lineactions.schemas import ServicesUpdate
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import settle
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
SERVICE_LABELS = {
    "roaming": "Roaming",
    "international_calls": "International calls",
    "premium_services": "Premium-rate services",
    "mobile_data": "Mobile data",
}
Checkbox = Annotated[str | None, Form()]


async def _line_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    msisdn: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    target = await service.find_line(session, principal, msisdn)
    services = await service.get_services(session, principal, target.line.msisdn)
    return render(
        request,
        "lineactions/line.html",
        status_code=status_code,
        line=target.line,
        services=services,
        labels=SERVICE_LABELS,
        is_manager=principal.profile.is_manager,
        **context,
    )


class LineForm:
    """What every action form on a line posts with: the page, the line's number, a checked
    CSRF token, the session and who asks from where."""

    def __init__(
        self,
        request: Request,
        msisdn: str,
        _: CsrfChecked,
        session: SessionDep,
        ctx: AuthContextDep,
    ) -> None:
        self.request, self.msisdn, self.session, self.ctx = request, msisdn, session, ctx

    async def ask(
        self,
        principal: Principal,
        action: Callable[..., Awaitable[LineRequest]],
        *args: Any,
        **kwargs: Any,
    ) -> Response:
        """Run the action (`action(session, ctx, principal, msisdn, *args)`): then to
        "Richieste" with the new request, or back to the line's page with the refusal."""
        try:
            done = await action(self.session, self.ctx, principal, self.msisdn, *args, **kwargs)
        except LinedeskError as exc:
            await settle(self.session, exc)
            return await _line_page(
                self.request, self.session, principal, self.msisdn, 422, error=exc.message
            )
        return redirect(f"/requests?asked={done.id}")


LineFormDep = Annotated[LineForm, Depends()]


@router.get("/lines/{msisdn}/actions")
async def line_actions(
    request: Request, msisdn: str, principal: WebUser, session: SessionDep
) -> Response:
    return await _line_page(request, session, principal, msisdn)


@router.get("/lines/{msisdn}/actions/{action}")
async def confirm_action(
    request: Request, msisdn: str, action: str, principal: WebUser, session: SessionDep
) -> Response:
    """The step that says what will happen: block, unblock, replace (physical or eSIM)."""
    if action not in {"block", "unblock", "replace"}:
        raise ValidationFailed("No such action")
    target = await service.find_line(session, principal, msisdn)
    return render(
        request,
        "lineactions/confirm.html",
        action=action,
        line=target.line,
        data_only=target.data_only,
    )


@router.post("/lines/{msisdn}/actions/block")
async def block(
    form: LineFormDep, principal: WebUser, reason: Annotated[BlockReason, Form()]
) -> Response:
    return await form.ask(principal, service.block, reason)


@router.post("/lines/{msisdn}/actions/unblock")
async def unblock(
    form: LineFormDep,
    principal: WebUser,
    hasher: HasherDep,
    password: Annotated[str | None, Form()] = None,
) -> Response:
    return await form.ask(principal, service.unblock, password=password, hasher=hasher)


@router.post("/lines/{msisdn}/actions/services")
async def set_services(
    form: LineFormDep,
    principal: WebUser,
    roaming: Checkbox = None,
    international_calls: Checkbox = None,
    premium_services: Checkbox = None,
    mobile_data: Checkbox = None,
) -> Response:
    """The form sends every switch the caller may change: on when ticked."""
    wanted = {
        "roaming": roaming,
        "international_calls": international_calls,
        "premium_services": premium_services,
        "mobile_data": mobile_data,
    }
    return await form.ask(principal, _set_ticked_services, wanted)


async def _set_ticked_services(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    msisdn: str,
    wanted: dict[str, str | None],
) -> LineRequest:
    current = await service.get_services(session, principal, msisdn)
    changes = {
        name: value == "on"
        for name, value in wanted.items()
        if name in current.can_change and getattr(current, name) != (value == "on")
    }
    update = ServicesUpdate.model_validate(changes)
    return await service.set_services(session, ctx, principal, msisdn, update)


@router.post("/lines/{msisdn}/actions/spending-cap")
async def set_spending_cap(
    form: LineFormDep, principal: WebManager, amount: Annotated[str | None, Form()] = None
) -> Response:
    return await form.ask(principal, _set_typed_cap, amount)


async def _set_typed_cap(
    session: AsyncSession,
    ctx: AuthContext,
    principal: Principal,
    msisdn: str,
    amount: str | None,
) -> LineRequest:
    try:
        cap = Decimal(amount.replace(",", ".")) if amount and amount.strip() else None
    except InvalidOperation as exc:
        raise ValidationFailed("Enter an amount in euros, or leave it empty") from exc
    return await service.set_spending_cap(session, ctx, principal, msisdn, cap)


@router.post("/lines/{msisdn}/actions/replace")
async def replace_sim(
    form: LineFormDep, principal: WebManager, kind: Annotated[SimKind, Form()]
) -> Response:
    return await form.ask(principal, service.replace_sim, kind)


@router.get("/lines/{msisdn}/offers")
async def offers_page(
    request: Request, msisdn: str, principal: WebUser, session: SessionDep
) -> Response:
    """ "Offerte e servizi": the catalogue beside the line's current offer."""
    target = await service.find_line(session, principal, msisdn)
    line = target.line
    return render(
        request,
        "lineactions/offers.html",
        line=line,
        catalogue=await offer_catalogue(session, line),
        current=line.offer,
        pending=await pending_offer_change(session, line),
        is_manager=principal.profile.is_manager,
    )


@router.post("/lines/{msisdn}/offers")
async def change_offer(
    form: LineFormDep, principal: WebManager, offer_id: Annotated[int, Form()]
) -> Response:
    return await form.ask(principal, service.change_offer, offer_id)


@router.get("/requests")
async def requests_page(
    request: Request, principal: WebUser, session: SessionDep, asked: int | None = None
) -> Response:
    """ "Richieste": the caller's requests, newest first, with their states."""
    items, total = await service.list_requests(session, principal, Page(offset=0, limit=100))
    return render(
        request,
        "lineactions/requests.html",
        requests=await service.describe(session, items),
        total=total,
        asked=asked,
    )


@router.post("/requests/{request_id}/activation-code")
async def activation_code(
    request: Request,
    request_id: IdPath,
    _: CsrfChecked,
    principal: WebManager,
    session: SessionDep,
    ctx: AuthContextDep,
) -> Response:
    """The eSIM's QR code, shown once: the page is not cached, and a reload says so."""
    code = await service.show_activation_code(session, ctx, principal, request_id)
    response = render(request, "lineactions/activation_code.html", code=code)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/lost-sim")
async def lost_sim(request: Request, principal: WebUser, session: SessionDep) -> Response:
    """ "Ho perso la SIM": the caller's own lines, each one tap from blocking."""
    lines = await UserRepository(session, principal.scope).lines_of(principal.user)
    return render(request, "lineactions/lost_sim.html", lines=lines)


@router.get("/line-actions")
async def bulk_page(request: Request, principal: WebManager) -> Response:
    return render(request, "lineactions/bulk.html")


@router.post("/line-actions")
async def bulk_upload(
    request: Request,
    _: CsrfChecked,
    principal: WebManager,
    session: SessionDep,
    ctx: AuthContextDep,
    file: UploadFile,
) -> Response:
    text = (await file.read()).decode("utf-8-sig", errors="replace")
    try:
        done = await bulk.apply_file(session, ctx, principal, text)
    except LinedeskError as exc:
        await settle(session, exc)
        return render(
            request,
            "lineactions/bulk.html",
            status_code=422,
            error=exc.message,
            details=exc.details or [],
        )
    return redirect(f"/requests?asked={done[-1].id}" if done else "/requests")
