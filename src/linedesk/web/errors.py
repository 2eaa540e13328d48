"""How pages show errors: our errors as a page in the user's language, and the two
redirects of signed-in pages (to sign in, to choose a new password)."""

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from linedesk.errors import NOT_ONE_LINE_REASON, LinedeskError, ValidationFailed
from linedesk.kit.i18n import Localizer, pick_language
from linedesk.web.templating import redirect, render

PASSWORD_PAGE = "/account/password"


class LoginRequired(Exception):
    """A page for signed-in users was asked for without a session: go to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PasswordChangeRequired(Exception):
    """Signed in with a generated password: nothing but choosing a new one is allowed."""


# The parameters of pages' addresses and forms, as people call them (msgids).
PARAMETER_LABELS = {
    "invoice_id": "Invoice",
    "notification_id": "Notification",
    "manager_id": "Manager",
    "offset": "Position in the list",
    "limit": "Results per page",
    "from": "From",
    "to": "To",
    "period": "Month",
    "day": "Day",
    "line": "Line",
    "msisdn": "Number",
    "status": "Status",
    "kind": "Kind",
    "billing_account": "Billing account",
    "group_by": "Group by",
    "type": "Type",
    "q": "Search",
}
# pydantic's error types, in words; %(name)s takes the error's context.
REASONS = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "greater_than_equal": "must be at least %(ge)s",
    "greater_than": "must be more than %(gt)s",
    "less_than_equal": "must be at most %(le)s",
    "less_than": "must be less than %(lt)s",
    "enum": "must be one of: %(expected)s",
    "literal_error": "must be one of: %(expected)s",
    "missing": "is required",
    "string_too_long": "is too long",
    "string_too_short": "is too short",
    "date_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date as YYYY-MM-DD",
    "string_pattern_mismatch": "is not in the expected form",
    "bool_parsing": "must be yes or no",
}


def _in_words(l10n: Localizer, detail: dict[str, Any]) -> dict[str, Any]:
    field = str(detail.get("field") or "")
    label = l10n.gettext(PARAMETER_LABELS[field]) if field in PARAMETER_LABELS else field
    if detail.get("reason") == NOT_ONE_LINE_REASON:
        reason = l10n.gettext(NOT_ONE_LINE_REASON)
    else:
        reason = REASONS.get(str(detail.get("type")), "is not valid")
        try:
            reason = l10n.gettext(reason, **(detail.get("ctx") or {}))
        except (KeyError, TypeError, ValueError):
            reason = l10n.gettext("is not valid")
    return {"field": field, "reason": f"{label}: {reason}" if label else reason}


def _for_people(request: Request, exc: LinedeskError) -> LinedeskError:
    """A request's validation error (pydantic's words, in English) in the page's language."""
    details = exc.details or []
    if not isinstance(exc, ValidationFailed) or not any("type" in d for d in details):
        return exc
    l10n = Localizer(pick_language(request, request.app.state.settings.default_language))
    return ValidationFailed(
        "Invalid request",
        details=[_in_words(l10n, detail) for detail in details],
    )


async def render_error_page(request: Request, exc: LinedeskError) -> Response:
    exc = _for_people(request, exc)
    response = render(request, "error.html", status_code=exc.status_code, error=exc)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def install_page_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return redirect(f"/login?next={exc.next_path}")

    @app.exception_handler(PasswordChangeRequired)
    async def _password(_request: Request, _exc: PasswordChangeRequired) -> Response:
        return redirect(PASSWORD_PAGE)
