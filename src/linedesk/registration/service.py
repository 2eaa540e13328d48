"""Employee registration (SPEC R-A3) and user-admin registration (R-A4, R-P1).

Every start answers the same, after the same reads, whether or not the number or company is
known, registered or a large enterprise: what differs is only the message that reaches the
line or the address on file."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import ValidationFailed
from linedesk.identity.codes import (
    CodeCall,
    CodeFlow,
    IssuedCode,
    invalid_code,
    redeem,
    send_message,
)
from linedesk.identity.models import CodePurpose, OneTimeCode, Profile, User
from linedesk.identity.passwords import check_password_policy
from linedesk.identity.repository import UserRepository
from linedesk.identity.service import AuthContext, audit, username_taken
from linedesk.inventory.models import Line, LineStatus, Segment
from linedesk.inventory.repository import (
    BillingAccountRepository,
    CompanyRepository,
    LineRepository,
)
from linedesk.inventory.service import PUK_PURPOSE
from linedesk.kit.hashing import verify_keyed_hash
from linedesk.kit.phone import LineKind, parse_mobile
from linedesk.kit.ratelimit import PUK_TRIES_PER_LINE
from linedesk.kit.repository import Scope
from linedesk.messaging.models import Channel
from linedesk.registration.schemas import (
    ManagerRegistrationComplete,
    ManagerRegistrationStart,
    RegistrationStart,
)

OPERATOR = Scope.operator()
NO_SUCH_ID = 0  # no row has this id: the same lookups when there is nothing to look up


async def registrable_line(session: AsyncSession, msisdn: str) -> Line | None:
    line = await LineRepository(session, OPERATOR).get_by_msisdn(msisdn)
    if line is None or line.kind is not LineKind.mobile or line.status is LineStatus.ceased:
        return None
    return line


# --- employees -----------------------------------------------------------------------------


async def start_registration(call: CodeCall, request: RegistrationStart) -> IssuedCode:
    session, ctx = call.session, call.ctx
    msisdn = parse_mobile(request.msisdn)
    await call.limits.sending(msisdn)
    line = await registrable_line(session, msisdn)
    if request.data_only:
        await _check_data_only_sim(call, line, msisdn, request.puk or "")
        channel, destination = Channel.email, str(request.email)
    else:
        await _refuse_sms_to_a_data_only_sim(session, line)
        channel, destination = Channel.sms, msisdn
    return await EMPLOYEE_CODES.issue(
        session,
        ctx,
        subject=msisdn,
        channel=channel,
        destination=destination,
        company_id=line.company_id if line else None,
        context={
            "line_id": line.id if line else None,
            "language": request.language,
            "email": str(request.email) if request.email else None,
        },
    )


async def _check_data_only_sim(call: CodeCall, line: Line | None, msisdn: str, puk: str) -> None:
    """The PUK proves possession of a data-only SIM; tries are tightly throttled."""
    await call.limits.limiter.hit(PUK_TRIES_PER_LINE, msisdn)
    sim = await LineRepository(call.session, OPERATOR).current_sim_of(
        line.id if line else NO_SUCH_ID, line.company_id if line else NO_SUCH_ID
    )
    if sim is None or not verify_keyed_hash(
        call.ctx.settings.secret_key, PUK_PURPOSE, puk, sim.puk_hash
    ):
        raise ValidationFailed(
            "The PUK is wrong", code="wrong_puk", details=[{"field": "puk", "reason": "wrong PUK"}]
        )
    if not sim.data_only:
        raise ValidationFailed(
            "This SIM receives SMS: register with the code by SMS instead",
            code="not_data_only",
            details=[{"field": "data_only", "reason": "voice SIM"}],
        )


async def _refuse_sms_to_a_data_only_sim(session: AsyncSession, line: Line | None) -> None:
    """A data-only SIM cannot receive the SMS: no code is sent, and the user is told to take
    the PUK and e-mail way instead (the same lookup for every number)."""
    sim = await LineRepository(session, OPERATOR).current_sim_of(
        line.id if line else NO_SUCH_ID, line.company_id if line else NO_SUCH_ID
    )
    if sim is not None and sim.data_only:
        raise ValidationFailed(
            'This is a data-only SIM: it cannot receive SMS. Tick "My SIM is data-only", '
            "enter its PUK and an e-mail address: the code comes by e-mail",
            code="data_only_sim",
            details=[{"field": "data_only", "reason": "data-only SIM"}],
        )


async def _send_registration_code(
    session: AsyncSession, ctx: AuthContext, issued: IssuedCode
) -> None:
    code_record = issued.record
    registered = await UserRepository(session, OPERATOR).by_username(code_record.subject)
    if code_record.context.get("line_id") is None:
        return  # not a line of ours: nothing is sent, and the answer is the same
    if registered:
        await send_message(session, ctx, code_record, "registration_already", {})
    else:
        await send_message(session, ctx, code_record, "registration_code", issued.payload())


EMPLOYEE_CODES = CodeFlow(CodePurpose.registration, _send_registration_code)


async def complete_registration(call: CodeCall, public_id: str, code: str, password: str) -> User:
    session, ctx = call.session, call.ctx
    purpose = CodePurpose.registration
    code_record = await redeem(call, public_id, purpose, code, password=password)
    line_id = code_record.context.get("line_id")
    line = await session.get(Line, line_id) if line_id else None
    users = UserRepository(session, OPERATOR)
    if line is None or await users.by_username(code_record.subject) is not None:
        raise invalid_code()
    user = await _new_user(
        call,
        password,
        company_id=line.company_id,
        profile=Profile.employee,
        username=code_record.subject,
        email=code_record.context.get("email"),
        main_line_id=line.id,
        language=code_record.context.get("language", "it"),
    )
    if not await users.add_new(user):  # registered at the same moment with another code
        raise invalid_code(keep_changes=False)
    await audit(session, ctx, "registered", user, channel=code_record.channel)
    return user


# --- user admins ---------------------------------------------------------------------------


async def start_manager_registration(
    call: CodeCall, request: ManagerRegistrationStart
) -> IssuedCode:
    """VAT number and one of the company's billing account codes: the code goes to the
    company's contact e-mail on file. Large enterprises have no manager profiles: they get
    the same answer, and their contact e-mail says so instead of carrying a code."""
    session, ctx = call.session, call.ctx
    await call.limits.sending(request.vat_number)
    companies = CompanyRepository(session, OPERATOR)
    company_id = (await companies.ids_by_vat([request.vat_number])).get(request.vat_number)
    company = await companies.get(company_id or NO_SUCH_ID)
    account = await BillingAccountRepository(session, OPERATOR).get_by_code(
        request.billing_account_code
    )
    found = (
        company
        if company is not None and account is not None and account.company_id == company.id
        else None
    )
    large = found is not None and found.segment is Segment.large
    return await MANAGER_CODES.issue(
        session,
        ctx,
        subject=request.vat_number,
        channel=Channel.email,
        destination=found.contact_email if found else "",
        company_id=found.id if found else None,
        context={
            "language": request.language,
            "company_name": found.name if found else None,
            "matches": found is not None and not large,
            "large": large,
        },
    )


async def _send_manager_code(session: AsyncSession, ctx: AuthContext, issued: IssuedCode) -> None:
    code_record: OneTimeCode = issued.record
    company = {"company": code_record.context.get("company_name")}
    if code_record.context.get("large"):  # no code: why there is no manager profile
        await send_message(session, ctx, code_record, "manager_registration_large", company)
    elif code_record.context.get("matches"):
        payload = issued.payload(**company)
        await send_message(session, ctx, code_record, "manager_registration_code", payload)


MANAGER_CODES = CodeFlow(CodePurpose.manager_registration, _send_manager_code)


async def complete_manager_registration(
    call: CodeCall, public_id: str, request: ManagerRegistrationComplete
) -> User:
    session, ctx = call.session, call.ctx
    check_password_policy(request.password, request.username)
    code_record = await redeem(call, public_id, CodePurpose.manager_registration, request.code)
    if not code_record.context.get("matches") or code_record.company_id is None:
        raise invalid_code()
    users = UserRepository(session, OPERATOR)
    if await users.by_username(request.username) is not None:
        raise username_taken()
    user = await _new_user(
        call,
        request.password,
        company_id=code_record.company_id,
        profile=Profile.user_admin,
        username=request.username,
        email=str(request.email) if request.email else code_record.destination,
        language=code_record.context.get("language", "it"),
    )
    if not await users.add_new(user):
        raise username_taken()
    await audit(session, ctx, "manager_registered", user)
    return user


async def _new_user(call: CodeCall, password: str, **fields: Any) -> User:
    """A user who registers now, with the password they chose (hashed)."""
    return User(
        **fields,
        password_hash=await call.hasher.hash(password, username=fields["username"]),
        password_changed_at=call.ctx.now,
        created_at=call.ctx.now,
    )
