"""Registration routes (SPEC §9: /registrations, /manager-registrations)."""

from fastapi import APIRouter, status

from linedesk.deps import SessionDep
from linedesk.identity.api import tokens_response
from linedesk.identity.auth import AuthContextDep, CodeLimitsDep, HasherDep
from linedesk.identity.models import CodePurpose, SessionKind
from linedesk.identity.schemas import TokenResponse
from linedesk.identity.service import open_session
from linedesk.registration.schemas import (
    ManagerRegistrationComplete,
    ManagerRegistrationStart,
    RegistrationComplete,
    RegistrationStart,
    RegistrationTicket,
)
from linedesk.registration.service import (
    complete_manager_registration,
    complete_registration,
    resend_registration,
    start_manager_registration,
    start_registration,
)

router = APIRouter(tags=["registration"])


@router.post(
    "/registrations", response_model=RegistrationTicket, status_code=status.HTTP_202_ACCEPTED
)
async def register(
    body: RegistrationStart, session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep
) -> RegistrationTicket:
    """Start an employee's registration: a code goes by SMS to the number, or, for a
    data-only SIM (proved with its PUK), by e-mail. A number already registered gets the
    same answer; the message it receives says so and how to recover the password."""
    issued = await start_registration(session, ctx, limits, body)
    return RegistrationTicket.of(issued)


@router.post(
    "/registrations/{registration_id}/resend",
    response_model=RegistrationTicket,
    status_code=status.HTTP_202_ACCEPTED,
)
async def resend(
    registration_id: str, session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep
) -> RegistrationTicket:
    """Send the code again (a new code; waits grow between sends)."""
    return RegistrationTicket.of(
        await resend_registration(session, ctx, limits, registration_id, CodePurpose.registration)
    )


@router.post(
    "/registrations/{registration_id}/complete",
    response_model=TokenResponse,
    status_code=status.HTTP_201_CREATED,
)
async def complete(
    registration_id: str,
    body: RegistrationComplete,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    hasher: HasherDep,
) -> TokenResponse:
    """Enter the code and choose a password: registered (username = the number), signed in."""
    user = await complete_registration(
        session, ctx, limits, hasher, registration_id, body.code, body.password
    )
    return tokens_response(
        await open_session(session, ctx, user, SessionKind.app, via="registration")
    )


@router.post(
    "/manager-registrations",
    response_model=RegistrationTicket,
    status_code=status.HTTP_202_ACCEPTED,
)
async def register_manager(
    body: ManagerRegistrationStart, session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep
) -> RegistrationTicket:
    """Start a user admin's registration (SME only): VAT number and a billing account code
    of the company; the code goes to the company's contact e-mail on file. Every request
    gets the same answer: for a large enterprise that e-mail says, instead of a code, that
    manager profiles are for small and medium enterprises only."""
    issued = await start_manager_registration(session, ctx, limits, body)
    return RegistrationTicket.of(issued)


@router.post(
    "/manager-registrations/{registration_id}/resend",
    response_model=RegistrationTicket,
    status_code=status.HTTP_202_ACCEPTED,
)
async def resend_manager(
    registration_id: str, session: SessionDep, ctx: AuthContextDep, limits: CodeLimitsDep
) -> RegistrationTicket:
    return RegistrationTicket.of(
        await resend_registration(
            session, ctx, limits, registration_id, CodePurpose.manager_registration
        )
    )


@router.post(
    "/manager-registrations/{registration_id}/complete",
    response_model=TokenResponse,
    status_code=status.HTTP_201_CREATED,
)
async def complete_manager(
    registration_id: str,
    body: ManagerRegistrationComplete,
    session: SessionDep,
    ctx: AuthContextDep,
    limits: CodeLimitsDep,
    hasher: HasherDep,
) -> TokenResponse:
    """Enter the code, choose a username and a password: the user admin is registered."""
    user = await complete_manager_registration(session, ctx, limits, hasher, registration_id, body)
    return tokens_response(
        await open_session(session, ctx, user, SessionKind.app, via="registration")
    )
