"""Registration routes (SPEC §9: /registrations, /manager-registrations)."""

from fastapi import APIRouter, status

from linedesk.identity.api import app_tokens, code_route
from linedesk.identity.auth import CodeCallDep
from linedesk.identity.schemas import TokenResponse
from linedesk.registration.schemas import (
    ManagerRegistrationComplete,
    ManagerRegistrationStart,
    RegistrationComplete,
    RegistrationStart,
    RegistrationTicket,
)
from linedesk.registration.service import (
    EMPLOYEE_CODES,
    MANAGER_CODES,
    complete_manager_registration,
    complete_registration,
    start_manager_registration,
    start_registration,
)

router = APIRouter(tags=["registration"])


@code_route(router, "/registrations", RegistrationTicket)
async def register(body: RegistrationStart, call: CodeCallDep) -> RegistrationTicket:
    """Start an employee's registration: a code goes by SMS to the number, or, for a
    data-only SIM (proved with its PUK), by e-mail. A number already registered gets the
    same answer; the message it receives says so and how to recover the password."""
    issued = await start_registration(call, body)
    return RegistrationTicket.of(issued)


@code_route(router, "/registrations/{registration_id}/resend", RegistrationTicket)
async def resend(registration_id: str, call: CodeCallDep) -> RegistrationTicket:
    """Send the code again (a new code; waits grow between sends)."""
    return RegistrationTicket.of(await EMPLOYEE_CODES.resend(call, registration_id))


@router.post(
    "/registrations/{registration_id}/complete",
    response_model=TokenResponse,
    status_code=status.HTTP_201_CREATED,
)
async def complete(
    registration_id: str, body: RegistrationComplete, call: CodeCallDep
) -> TokenResponse:
    """Enter the code and choose a password: registered (username = the number), signed in."""
    user = await complete_registration(call, registration_id, body.code, body.password)
    return await app_tokens(call.session, call.ctx, user, "registration")


@code_route(router, "/manager-registrations", RegistrationTicket)
async def register_manager(body: ManagerRegistrationStart, call: CodeCallDep) -> RegistrationTicket:
    """Start a user admin's registration (SME only): VAT number and a billing account code
    of the company; the code goes to the company's contact e-mail on file. Every request
    gets the same answer: for a large enterprise that e-mail says, instead of a code, that
    manager profiles are for small and medium enterprises only."""
    issued = await start_manager_registration(call, body)
    return RegistrationTicket.of(issued)


@code_route(router, "/manager-registrations/{registration_id}/resend", RegistrationTicket)
async def resend_manager(registration_id: str, call: CodeCallDep) -> RegistrationTicket:
    return RegistrationTicket.of(await MANAGER_CODES.resend(call, registration_id))


@router.post(
    "/manager-registrations/{registration_id}/complete",
    response_model=TokenResponse,
    status_code=status.HTTP_201_CREATED,
)
async def complete_manager(
    registration_id: str, body: ManagerRegistrationComplete, call: CodeCallDep
) -> TokenResponse:
    """Enter the code, choose a username and a password: the user admin is registered."""
    user = await complete_manager_registration(call, registration_id, body)
    return await app_tokens(call.session, call.ctx, user, "registration")
