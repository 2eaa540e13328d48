"""Forms of the wizards' pages: request models built from forms, errors shown on the form
again, and the code step (enter the code, "send again") that registration, recovery and
manager activation share."""

from typing import Any, TypeVar

from babel.dates import format_time
from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from linedesk.errors import LinedeskError, NotFound, RateLimited, ValidationFailed
from linedesk.identity.codes import Limits, find_code, resend_after
from linedesk.identity.models import CodePurpose, OneTimeCode
from linedesk.identity.service import AuthContext
from linedesk.kit.clock import ROME
from linedesk.kit.i18n import LOCALES, pick_language
from linedesk.kit.ratelimit import RateLimiter
from linedesk.web.session import settle
from linedesk.web.templating import render

M = TypeVar("M", bound=BaseModel)

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


def language(request: Request, ctx: AuthContext) -> str:
    return pick_language(request, ctx.settings.default_language)


def limits(limiter: RateLimiter, ctx: AuthContext) -> Limits:
    return Limits(limiter, ctx.client_ip or "unknown")


def invalid_fields(fields: list[str]) -> ValidationFailed:
    return ValidationFailed(CHECK_FIELDS, details=[
        {"field": name, "reason": FIELD_REASONS.get(name, "This value is not valid")}
        for name in dict.fromkeys(fields)])


def form_model(model: type[M], **fields: Any) -> M:
    """The API's request model built from a form; its errors in words a page can translate."""
    try:
        return model(**{name: value for name, value in fields.items()
                        if value not in (None, "")})
    except ValidationError as exc:
        raise invalid_fields([".".join(str(part) for part in error["loc"])
                              for error in exc.errors()]) from None


def page_error(exc: LinedeskError) -> LinedeskError:
    """The error as a page shows it: a message the catalogue translates, no repeated details."""
    if isinstance(exc, RateLimited) and exc.message.startswith("Too many attempts"):
        return RateLimited(TOO_MANY, headers=exc.headers)
    if exc.message == CHECK_FIELDS:
        return exc
    if exc.code == "validation_error" and exc.details:
        return invalid_fields([str(detail.get("field", "")) for detail in exc.details])
    return type(exc)(exc.message, code=exc.code, headers=exc.headers)


async def refused(request: Request, session: AsyncSession, exc: LinedeskError, template: str,
                  **context: Any) -> Response:
    """Show the form again with the error (a counted try is kept, the rest undone)."""
    await settle(session, exc)
    wait = (exc.headers or {}).get("Retry-After")
    response = render(request, template, status_code=exc.status_code, error=page_error(exc),
                      retry_after=wait, **context)
    if wait:
        response.headers["Retry-After"] = wait
    return response


async def ticket(session: AsyncSession, public_id: str, purpose: CodePurpose) -> OneTimeCode:
    record = await find_code(session, public_id, purpose)
    if record is None:
        raise NotFound("This page has expired: start again", code="unknown_request")
    return record


def code_step(request: Request, ctx: AuthContext, record: OneTimeCode) -> dict[str, Any]:
    """What the code step shows: the channel, and when "send again" becomes possible."""
    after = resend_after(record)
    at = format_time(after, "medium", tzinfo=ROME, locale=LOCALES[language(request, ctx)])
    return {"channel": record.channel, "resend_at": at if after > ctx.now else None,
            "resent": request.query_params.get("resent") == "1"}


async def code_page(request: Request, session: AsyncSession, ctx: AuthContext, template: str,
                    public_id: str, purpose: CodePurpose, exc: LinedeskError | None = None,
                    **context: Any) -> Response:
    """The code step, shown fresh or again with an error."""
    if exc is not None:
        await settle(session, exc)
    step = code_step(request, ctx, await ticket(session, public_id, purpose))
    if exc is None:
        return render(request, template, public_id=public_id, **step, **context)
    return await refused(request, session, exc, template, public_id=public_id,
                         **step, **context)
