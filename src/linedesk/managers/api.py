"""The managers' routes: telco managers, their activation, the audit log (R-A5, R-A11)."""

from fastapi import APIRouter, Response, status

from linedesk.audit.repository import AuditRepository
from linedesk.deps import SessionDep
from linedesk.identity.api import app_tokens, code_route
from linedesk.identity.auth import AuthContextDep, CodeCallDep, Manager, UserAdmin
from linedesk.identity.models import User
from linedesk.identity.schemas import TokenResponse
from linedesk.kit.pagination import IdPath, PageParams, paged
from linedesk.kit.schemas import attributes
from linedesk.managers.schemas import (
    ActivationComplete,
    ActivationTicket,
    AuditEventRead,
    ManagerCreate,
    ManagerCreated,
    ManagerRead,
)
from linedesk.managers.service import (
    ACTIVATION_CODES,
    activate_manager,
    create_telco_manager,
    list_managers,
    remove_manager,
)

router = APIRouter(tags=["company managers"])


def _read(user: User) -> ManagerRead:
    names = ("id", "username", "email", "profile", "totp_enabled", "created_at")
    return ManagerRead(active=user.password_hash is not None, **attributes(user, *names))


@router.get("/company/managers", response_model=list[ManagerRead])
async def managers(principal: Manager, session: SessionDep) -> list[ManagerRead]:
    """The company's managers (user admins and telco managers)."""
    return [_read(user) for user in await list_managers(session, principal.scope)]


@router.post(
    "/company/managers", response_model=ManagerCreated, status_code=status.HTTP_201_CREATED
)
async def create_manager(
    body: ManagerCreate, principal: UserAdmin, session: SessionDep, ctx: AuthContextDep
) -> ManagerCreated:
    """Create a telco manager (user admins only). They receive an activation code by e-mail
    and choose their own password."""
    manager, issued = await create_telco_manager(session, ctx, principal.user, body)
    return ManagerCreated(**_read(manager).model_dump(), activation=ActivationTicket.of(issued))


@router.delete("/company/managers/{manager_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_manager(
    manager_id: IdPath, principal: UserAdmin, session: SessionDep, ctx: AuthContextDep
) -> Response:
    """Remove a telco manager: they can no longer sign in, and their sessions end."""
    await remove_manager(session, ctx, principal.user, manager_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@code_route(router, "/manager-activations/{activation_id}/resend", ActivationTicket)
async def resend(activation_id: str, call: CodeCallDep) -> ActivationTicket:
    return ActivationTicket.of(await ACTIVATION_CODES.resend(call, activation_id))


@router.post("/manager-activations/{activation_id}/complete", response_model=TokenResponse)
async def activate(
    activation_id: str, body: ActivationComplete, call: CodeCallDep
) -> TokenResponse:
    """A new telco manager enters the e-mailed code and chooses their password."""
    manager = await activate_manager(call, activation_id, body.code, body.password)
    return await app_tokens(call.session, call.ctx, manager, "activation")


@router.get("/company/audit-log", response_model=list[AuditEventRead])
async def audit_log(
    principal: UserAdmin, session: SessionDep, response: Response, page: PageParams
) -> list[AuditEventRead]:
    """Sign-ins, failures, resets, links and manager actions of the company, newest first."""
    repo = AuditRepository(session, principal.scope)
    events, total = await repo.page(repo.newest_first(), page)
    return paged(response, [AuditEventRead.model_validate(e) for e in events], total)
