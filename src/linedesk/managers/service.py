"""Telco managers: created by a user admin, activated by their own e-mail code (R-A5)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.audit.service import record
from linedesk.errors import Conflict, NotFound, ValidationFailed
from linedesk.identity.codes import (
    MINUTES,
    IssuedCode,
    Limits,
    invalid_code,
    issue_code,
    redeem_choosing_password,
    resend_by_id,
)
from linedesk.identity.models import CodePurpose, Profile, User
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext, end_all_sessions
from linedesk.inventory.models import Company
from linedesk.kit.repository import Scope
from linedesk.managers.schemas import ManagerCreate
from linedesk.messaging.models import Channel
from linedesk.messaging.service import enqueue


async def list_managers(session: AsyncSession, scope: Scope) -> Sequence[User]:
    return await UserRepository(session, scope).managers()


async def create_telco_manager(
    session: AsyncSession, ctx: AuthContext, creator: User, request: ManagerCreate
) -> tuple[User, IssuedCode]:
    """The new manager gets an activation code by e-mail and chooses their own password:
    the creator never sees or sets it."""
    users = UserRepository(session, Scope.operator())
    if await users.by_username(request.username) is not None:
        raise Conflict("This username is taken: choose another", code="username_taken")
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
        raise Conflict("This username is taken: choose another", code="username_taken")
    issued = await issue_code(
        session,
        ctx.settings.secret_key,
        ctx.now,
        purpose=CodePurpose.manager_activation,
        subject=manager.username,
        channel=Channel.email.value,
        destination=str(request.email),
        company_id=manager.company_id,
        user_id=manager.id,
        context={"language": request.language},
    )
    await _send_activation(session, ctx, issued)
    company = await session.get(Company, creator.company_id)
    if creator.email:
        await enqueue(
            session,
            Channel.email,
            creator.email,
            "manager_created",
            creator.language,
            {
                "username": manager.username,
                "email": manager.email,
                "company": company.name if company else "",
            },
            now=ctx.now,
            company_id=creator.company_id,
        )
    await record(
        session,
        "manager_created",
        now=ctx.now,
        company_id=creator.company_id,
        user_id=creator.id,
        subject=manager.username,
        client_ip=ctx.client_ip,
    )
    return manager, issued


async def _send_activation(session: AsyncSession, ctx: AuthContext, issued: IssuedCode) -> None:
    code_record = issued.record
    company = await session.get(Company, code_record.company_id)
    url = f"{ctx.settings.public_url.rstrip('/')}/managers/activate/{code_record.public_id}"
    await enqueue(
        session,
        Channel.email,
        code_record.destination,
        "manager_activation",
        code_record.context.get("language", "it"),
        {
            "code": issued.code,
            "minutes": MINUTES,
            "username": code_record.subject,
            "company": company.name if company else "",
            "url": url,
        },
        now=ctx.now,
        company_id=code_record.company_id,
    )


async def resend_activation(
    session: AsyncSession, ctx: AuthContext, limits: Limits, public_id: str
) -> IssuedCode:
    issued = await resend_by_id(session, ctx, limits, public_id, CodePurpose.manager_activation)
    await _send_activation(session, ctx, issued)
    return issued


async def activate_manager(
    session: AsyncSession,
    ctx: AuthContext,
    limits: Limits,
    hasher: PasswordHasher,
    public_id: str,
    code: str,
    password: str,
) -> User:
    code_record = await redeem_choosing_password(
        session, ctx, limits, public_id, CodePurpose.manager_activation, code, password
    )
    manager = await session.get(User, code_record.user_id) if code_record.user_id else None
    if manager is None or manager.disabled_at is not None:
        raise invalid_code()
    manager.password_hash = await hasher.hash(password, username=manager.username)
    manager.password_changed_at = ctx.now
    await record(
        session,
        "manager_activated",
        now=ctx.now,
        company_id=manager.company_id,
        user_id=manager.id,
        subject=manager.username,
        client_ip=ctx.client_ip,
    )
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
    await record(
        session,
        "manager_removed",
        now=ctx.now,
        company_id=remover.company_id,
        user_id=remover.id,
        subject=manager.username,
        client_ip=ctx.client_ip,
    )
