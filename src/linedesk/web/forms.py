"""Forms of the pages: request models built from forms, and errors shown on the form again
(the code step the wizards share is `identity.code_pages`)."""

from typing import Annotated, Any, TypeVar

from fastapi import Form, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.errors import LinedeskError, RateLimited, TooManyAttempts, ValidationFailed
from linedesk.web.templating import render

M = TypeVar("M", bound=BaseModel)
# A field of a posted form; an optional one may be missing (an unticked checkbox).
Field = Annotated[str, Form()]
OptionalField = Annotated[str | None, Form()]

CHECK_FIELDS = "Check the data you entered"
TOO_MANY = "Too many attempts: wait a little and try again"
FIELD_REASONS = {
    "msisdn": "Enter an Italian mobile number",
    "puk": "The PUK has 8 digits",
    "email": "Enter a valid e-mail address",
    "vat_number": "Enter a valid VAT number (11 digits)",
    "billing_account_code": "Enter the billing account code as written on your invoice",
    "code": "The code has 6 digits",
    "username": "The username starts with a letter and has 3 to 64 letters, digits, dots, "
    "hyphens or underscores",
    "": "A data-only SIM needs its PUK and an e-mail address",
}


def invalid_fields(fields: list[str]) -> ValidationFailed:
    return ValidationFailed(
        CHECK_FIELDS,
        details=[
            {"field": name, "reason": FIELD_REASONS.get(name, "This value is not valid")}
            for name in dict.fromkeys(fields)
        ],
    )


def form_model(model: type[M], **fields: Any) -> M:
    """The API's request model built from a form; its errors in words a page can translate."""
    try:
        return model(**{name: value for name, value in fields.items() if value not in (None, "")})
    except ValidationError as exc:
        raise invalid_fields(
            [".".join(str(part) for part in error["loc"]) for error in exc.errors()]
        ) from None


def page_error(exc: LinedeskError) -> LinedeskError:
    """The error as a page shows it: a message the catalogue translates, no repeated details
    (a form's own field errors come out as they went in)."""
    if isinstance(exc, TooManyAttempts):
        return RateLimited(TOO_MANY, headers=exc.headers)
    if exc.code == "validation_error" and exc.details:
        return invalid_fields([str(detail.get("field", "")) for detail in exc.details])
    return type(exc)(exc.message, code=exc.code, headers=exc.headers)


async def settle(session: AsyncSession, exc: LinedeskError) -> None:
    """A page that shows an error instead of raising it keeps what the error must keep (a
    counted try) and undoes the rest, as the request's unit of work would."""
    if not exc.keep_changes:
        session.expunge_all()  # what was read stays readable by the page
        await session.rollback()


async def refused(
    request: Request, session: AsyncSession, exc: LinedeskError, template: str, **context: Any
) -> Response:
    """Show the form again with the error (a counted try is kept, the rest undone)."""
    await settle(session, exc)
    wait = (exc.headers or {}).get("Retry-After")
    response = render(
        request,
        template,
        status_code=exc.status_code,
        error=page_error(exc),
        retry_after=wait,
        **context,
    )
    if wait:
        response.headers["Retry-After"] = wait
    return response
