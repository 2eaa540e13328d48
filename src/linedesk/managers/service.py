"""Telco managers: created by a user admin, activated by their own e-mail code (R-A5)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import NotFound, ValidationFailed
from linedesk.identity.codes import (
    CodeCall,
    CodeFlow,
    IssuedCode,
    holder,
    redeem,
    send_message,
)
from linedesk.identity.models import CodePurpose, Profile, User
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import (
    AuthContext,
    audit,
    end_all_sessions,
    message_user,
    username_taken,
)
from linedesk.inventory.models import Company
from linedesk.kit.repository import Scope
from linedesk.managers.schemas import ManagerCreate
from linedesk.messaging.models import Channel


async def list_managers(session: AsyncSession, scope: Scope) -> Sequence[User]:
    return await UserRepository(session, scope).managers()


async def create_telco_manager(
    session: AsyncSession, ctx: AuthContext, creator: User, request: ManagerCreate
) -> tuple[User, IssuedCode]:
    """The new manager gets an activation code by e-mail and chooses their own password:
    the creator never sees or sets it."""
    users = UserRepository(session, Scope.operator())
    if await users.by_username(request.username) is not None:
        raise username_taken()
    manager = User(
        company_id=creator.company_id,
        profile=Profile.telco_manager,
        username=request.username,
        email=str(request.email),
        language=request.language,
        created_by_id=creator.id,
        created_at=ctx.now,
    )
    if not await users.add_new(manager):  # the same username chosen at the same moment
        raise username_taken()
    issued = await ACTIVATION_CODES.issue(
        session,
        ctx,
        subject=manager.username,
        channel=Channel.email,
        destination=str(request.email),
        company_id=manager.company_id,
        user_id=manager.id,
        context={"language": request.language},
    )
    company = await session.get(Company, creator.company_id)
    if creator.email:
        await message_user(
            session,
            ctx,
            creator,
            Channel.email,
            creator.email,
            "manager_created",
            {
                "username": manager.username,
                "email": manager.email,
                "company": company.name if company else "",
            },
        )
    await audit(session, ctx, "manager_created", creator, subject=manager.username)
    return manager, issued


async def _send_activation(session: AsyncSession, ctx: AuthContext, issued: IssuedCode) -> None:
    code_record = issued.record
    company = await session.get(Company, code_record.company_id)
    url = f"{ctx.settings.public_url.rstrip('/')}/managers/activate/{code_record.public_id}"
    payload = issued.payload(
        username=code_record.subject, company=company.name if company else "", url=url
    )
    await send_message(session, ctx, code_record, "manager_activation", payload)


ACTIVATION_CODES = CodeFlow(CodePurpose.manager_activation, _send_activation)


async def activate_manager(call: CodeCall, public_id: str, code: str, password: str) -> User:
    purpose = CodePurpose.manager_activation
    code_record = await redeem(call, public_id, purpose, code, password=password)
    manager = await holder(call.session, code_record)
    manager.password_hash = await call.hasher.hash(password, username=manager.username)
    manager.password_changed_at = call.ctx.now
    await audit(call.session, call.ctx, "manager_activated", manager)
    return manager


async def remove_manager(
    session: AsyncSession, ctx: AuthContext, remover: User, manager_id: int
) -> None:
    manager = await UserRepository(session, Scope.company(remover.company_id)).get(manager_id)
    if manager is None or manager.disabled_at is not None or not manager.profile.is_manager:
        raise NotFound("No such manager")
    if manager.profile is not Profile.telco_manager:
        raise ValidationFailed(
            "Only telco managers can be removed here", code="not_a_telco_manager"
        )
    manager.disabled_at = ctx.now
    await end_all_sessions(session, ctx, manager, "manager_removed")
    await audit(session, ctx, "manager_removed", remover, subject=manager.username)
