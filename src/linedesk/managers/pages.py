"""Pages of the managers' area: the company's managers (create and remove telco managers),
the activation page a new telco manager opens from the e-mail, the audit log (R-A5, R-A11)."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.audit.models import AuditEvent
from linedesk.audit.repository import AuditRepository
from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import LinedeskError, NotFound, ValidationFailed, found
from linedesk.identity.auth import AuthContextDep
from linedesk.identity.code_pages import CodePost, CodePostDep
from linedesk.identity.codes import find_code
from linedesk.identity.models import CodePurpose, Profile, User
from linedesk.identity.principal import Principal
from linedesk.identity.repository import UserRepository
from linedesk.identity.web_auth import WebManager, WebUserAdmin, count_visit, signed_in
from linedesk.kit.pagination import IdPath, PageParams
from linedesk.managers.schemas import ManagerCreate
from linedesk.managers.service import (
    ACTIVATION_CODES,
    activate_manager,
    create_telco_manager,
    list_managers,
    remove_manager,
)
from linedesk.web.csrf import CsrfChecked
from linedesk.web.forms import Field, settle
from linedesk.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

# What a form field that fails validation means to the person filling it in.
FIELD_HINTS = {
    "username": "The username starts with a letter and has 3 to 64 letters, digits, dots, "
    "hyphens or underscores",
    "email": "Enter a valid e-mail address",
}

# The audit log's actions as people read them (translated in the template).
ACTION_LABELS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "sign_out": "Signed out",
    "password_reset": "Password reset",
    "password_changed": "Password changed",
    "registered": "Registered",
    "manager_registered": "User Admin registered",
    "manager_created": "Telco Manager created",
    "manager_activated": "Telco Manager activated",
    "manager_removed": "Telco Manager removed",
    "line_linked": "Line linked",
    "line_unlinked": "Line unlinked",
    "two_factor_enabled": "Two-step verification turned on",
    "two_factor_disabled": "Two-step verification turned off",
    "autologin_first": "First automatic sign-in",
    "refresh_token_reused": "Reused app token: session ended",
}


def _manager_request(username: str, email: str, language: str) -> ManagerCreate:
    try:
        return ManagerCreate(username=username, email=email, language=language)
    except ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        raise ValidationFailed(
            "Check the data you entered",
            details=[
                {"field": field, "reason": FIELD_HINTS.get(field, "This value is not valid")}
                for field in sorted(fields)
            ],
        ) from exc


async def _managers_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    status_code: int = 200,
    **context: Any,
) -> Response:
    managers = await list_managers(session, principal.scope)
    return render(
        request,
        "managers/list.html",
        status_code=status_code,
        managers=managers,
        can_manage=principal.profile is Profile.user_admin,
        **context,
    )


@router.get("/managers")
async def managers_page(
    request: Request,
    principal: WebManager,
    session: SessionDep,
    clock: ClockDep,
    created: int | None = None,
    removed: bool = False,
) -> Response:
    await count_visit(request, session, principal, "managers", clock.now())
    return await _managers_page(request, session, principal, created=created, removed=removed)


@router.post("/managers")
async def create_manager(
    request: Request,
    _: CsrfChecked,
    principal: WebUserAdmin,
    session: SessionDep,
    ctx: AuthContextDep,
    username: Field,
    email: Field,
    language: Annotated[str, Form()] = "it",
) -> Response:
    try:
        manager, _issued = await create_telco_manager(
            session, ctx, principal.user, _manager_request(username, email, language)
        )
    except LinedeskError as exc:
        await settle(session, exc)
        return await _managers_page(
            request,
            session,
            principal,
            exc.status_code,
            error=exc,
            form={"username": username, "email": email, "language": language},
        )
    return redirect(f"/managers?created={manager.id}")


async def _listed_manager(session: AsyncSession, principal: Principal, manager_id: int) -> User:
    manager = next(
        (m for m in await list_managers(session, principal.scope) if m.id == manager_id), None
    )
    if manager is None:
        raise NotFound("No such manager")
    return manager


@router.get("/managers/{manager_id}/remove")
async def remove_page(
    request: Request, manager_id: IdPath, principal: WebUserAdmin, session: SessionDep
) -> Response:
    """Asks before removing: the manager loses access at once."""
    manager = await _listed_manager(session, principal, manager_id)
    return render(request, "managers/remove.html", manager=manager)


@router.post("/managers/{manager_id}/remove")
async def remove(
    request: Request,
    manager_id: IdPath,
    _: CsrfChecked,
    principal: WebUserAdmin,
    session: SessionDep,
    ctx: AuthContextDep,
) -> Response:
    await remove_manager(session, ctx, principal.user, manager_id)
    return redirect("/managers?removed=true")


async def _activation_page(
    request: Request,
    session: AsyncSession,
    activation_id: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    code_record = found(
        await find_code(session, activation_id, CodePurpose.manager_activation),
        "This activation link is not valid",
    )
    return render(
        request,
        "managers/activate.html",
        status_code=status_code,
        activation_id=activation_id,
        username=code_record.subject,
        **context,
    )


@router.get("/managers/activate/{activation_id}")
async def activation_page(request: Request, activation_id: str, session: SessionDep) -> Response:
    return await _activation_page(request, session, activation_id)


@router.post("/managers/activate/{activation_id}")
async def activate(
    activation_id: str,
    post: CodePostDep,
    code: Field,
    password: Field,
    confirm_password: Field,
) -> Response:
    if password != confirm_password:
        return await _activation_page(post.request, post.session, activation_id, 422, mismatch=True)
    try:
        manager = await activate_manager(post.call, activation_id, code.strip(), password)
    except LinedeskError as exc:
        return await _activation_refused(post, activation_id, exc)
    return await signed_in(post.session, post.ctx, manager, "activation", redirect("/home"))


@router.post("/managers/activate/{activation_id}/resend")
async def resend(activation_id: str, post: CodePostDep) -> Response:
    try:
        await ACTIVATION_CODES.resend(post.call, activation_id)
    except LinedeskError as exc:
        response = await _activation_refused(post, activation_id, exc)
        response.headers.update(exc.headers or {})
        return response
    return await _activation_page(post.request, post.session, activation_id, resent=True)


async def _activation_refused(post: CodePost, activation_id: str, exc: LinedeskError) -> Response:
    await settle(post.session, exc)
    return await _activation_page(
        post.request, post.session, activation_id, exc.status_code, error=exc
    )


@router.get("/audit-log")
async def audit_log(
    request: Request, principal: WebUserAdmin, session: SessionDep, page: PageParams
) -> Response:
    repo = AuditRepository(session, principal.scope)
    events, total = await repo.page(repo.newest_first(), page)
    return render(
        request,
        "managers/audit_log.html",
        events=events,
        total=total,
        page=page,
        action_labels=ACTION_LABELS,
        people=await _people(session, principal, events),
    )


async def _people(
    session: AsyncSession, principal: Principal, events: Sequence[AuditEvent]
) -> dict[int, str]:
    """The usernames of who did what on this page of the log (a few, already scoped)."""
    users = UserRepository(session, principal.scope)
    people = {}
    for user_id in {event.user_id for event in events if event.user_id is not None}:
        user = await users.get(user_id)
        if user is not None:
            people[user_id] = user.username
    return people
