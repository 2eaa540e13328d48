"""The error hierarchy and the one handler that renders it as {"error": {...}}."""

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger()

# Text is one line (kit.schemas applies it to every field): no control characters, no breaks.
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NOT_ONE_LINE_REASON = "control characters and line breaks are not allowed"


def error_reason(error: Any) -> str:
    """pydantic's message for a field, in plain words for the one-line rule."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "string_pattern_mismatch" and ctx.get("pattern") == ONE_LINE_PATTERN:
        return NOT_ONE_LINE_REASON
    return str(error.get("msg", "invalid value"))


class LinedeskError(Exception):
    """Each kind says its HTTP status and stable code once, in its class line:
    `class NotFound(LinedeskError, status_code=404, code="not_found")`."""

    status_code = 400
    code = "bad_request"

    def __init_subclass__(cls, status_code: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        if status_code is not None:
            cls.status_code = status_code
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        # The refusal itself must be remembered (a failed try counted, a token family
        # revoked): the request's transaction commits before the error is answered.
        self.keep_changes = keep_changes
        if code:
            self.code = code
        self.details = details
        self.headers = headers


class ValidationFailed(LinedeskError, status_code=422, code="validation_error"): ...


class Unauthorized(LinedeskError, status_code=401, code="unauthorized"): ...


class Forbidden(LinedeskError, status_code=403, code="forbidden"): ...


class NotFound(LinedeskError, status_code=404, code="not_found"): ...


class Conflict(LinedeskError, status_code=409, code="conflict"): ...


class PayloadTooLarge(LinedeskError, status_code=413, code="payload_too_large"): ...


class ServiceBusy(LinedeskError, status_code=503, code="busy"): ...


class RateLimited(LinedeskError, status_code=429, code="rate_limited"): ...


class TooManyAttempts(RateLimited):
    """A rate limit's count is full (not a code asked for again too soon)."""


class Unavailable(LinedeskError, status_code=503, code="unavailable"): ...


T = TypeVar("T")


def found(value: T | None, message: str) -> T:
    """`value`, or a 404 saying `message` (\"No such line\") when there is none."""
    if value is None:
        raise NotFound(message)
    return value


# SQLSTATEs of a database going away or not back yet: shut down by an administrator or after a
# crash, "cannot connect now" (starting up, shutting down); class 08 is any connection error.
AWAY_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def database_unavailable(exc: BaseException) -> bool:
    """The database is away (restarting, failing over, unreachable): not a bug of ours.
    Only the connection counts: a statement the driver or the server refuses (too many bind
    parameters is the driver's InterfaceError) fails again on retry, so it is no 503."""
    if isinstance(exc, ConnectionError):  # refused or reset before SQLAlchemy could wrap it
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    return (
        exc.connection_invalidated
        or sqlstate.startswith("08")
        or sqlstate in AWAY_SQLSTATES
        or isinstance(exc.orig, OSError)
        or isinstance(getattr(exc.orig, "__cause__", None), OSError)
    )


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable, machine-readable, e.g. `invalid_credentials`")
    message: str = Field(description="For people, in English")
    details: list[dict[str, Any]] | None = Field(
        default=None, description="What was wrong, one entry per field (or file row)"
    )


class ErrorResponse(BaseModel):
    """The one shape of every API error."""

    error: ErrorInfo


# Documented once for the whole API (on the /api/v1 router): what any operation may answer.
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    | ({"headers": _RETRY_AFTER} if status in (429, 503) else {})
    for status, description in (
        (400, "Bad request"),
        (401, "Not signed in, or a wrong token, key or credentials"),
        (403, "Not allowed for the caller's profile"),
        (404, "No such object, or not the caller's"),
        (409, "In conflict with the current state"),
        (422, "Invalid input; `details` names each field"),
        (429, "Too many attempts; `Retry-After` says when to try again"),
        (503, "Busy, or the database briefly away; `Retry-After` says when to try again"),
    )
}


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        details.append({"field": ".".join(loc), "reason": error_reason(err)})
    return details


HtmlRenderer = Callable[[Request, LinedeskError], Awaitable[Response]]


# Paths outside /api/ that machines read: they keep JSON (or their own format) on errors.
MACHINE_PATHS = (
    "/healthz",
    "/readyz",
    "/metrics",
    "/events/",
    "/login/autologin",
    "/openapi.json",
    "/docs",
    "/redoc",
)


def wants_html(request: Request) -> bool:
    """Pages answer errors as pages, whatever a browser or a crawler sends as Accept; the API,
    the probes and a script asking for JSON get JSON."""
    path = request.url.path
    if path.startswith("/api/") or path.startswith(MACHINE_PATHS):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "json" not in accept


def page_validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """What a page needs to say which value of its address or form was wrong, in words: the
    parameter's name and pydantic's error type with its context (a page translates them)."""
    details = []
    for err in exc.errors():
        names = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        ctx = {key: str(value) for key, value in (err.get("ctx") or {}).items()}
        details.append(
            {
                "field": names[-1] if names else "",
                "reason": error_reason(err),
                "type": str(err.get("type", "")),
                "ctx": ctx,
            }
        )
    return details


def install_error_handlers(app: FastAPI, html: HtmlRenderer | None = None) -> None:
    @app.exception_handler(LinedeskError)
    async def _linedesk_error(request: Request, exc: LinedeskError) -> Response:
        if html is not None and wants_html(request):
            return await html(request, exc)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def _database_away(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc  # a real error: the catch-all below logs it as a bug
        log.warning("database_unavailable", error_type=type(exc).__name__)
        return await _linedesk_error(
            request,
            Unavailable(
                "The service is briefly unavailable: try again in a moment",
                headers={"Retry-After": "2"},
            ),
        )

    app.add_exception_handler(DBAPIError, _database_away)
    app.add_exception_handler(ConnectionError, _database_away)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc)
        message = (
            "; ".join(
                f"{d['field']}: {d['reason']}" if d["field"] else d["reason"] for d in details
            )
            or "Invalid request"
        )
        if html is not None and wants_html(request):  # a page shows it as a page
            return await html(
                request, ValidationFailed("Invalid request", details=page_validation_details(exc))
            )
        return JSONResponse(error_body("validation_error", message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        if html is not None and exc.status_code == 404 and wants_html(request):
            return await html(request, NotFound("No such page"))
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # A bug, not a user's mistake: logged with its traceback, answered in the one shape.
        log.exception("unhandled_error", error_type=type(exc).__name__)
        return JSONResponse(
            error_body("internal_error", "An unexpected error occurred"), status_code=500
        )
