"""The error hierarchy and the one handler that renders it as {"error": {...}}."""

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger()


class LinedeskError(Exception):
    status_code = 400
    code = "bad_request"

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


class BadRequest(LinedeskError):
    pass


class ValidationFailed(LinedeskError):
    status_code = 422
    code = "validation_error"


class Unauthorized(LinedeskError):
    status_code = 401
    code = "unauthorized"


class Forbidden(LinedeskError):
    status_code = 403
    code = "forbidden"


class NotFound(LinedeskError):
    status_code = 404
    code = "not_found"


class Conflict(LinedeskError):
    status_code = 409
    code = "conflict"


class ServiceBusy(LinedeskError):
    status_code = 503
    code = "busy"


class RateLimited(LinedeskError):
    status_code = 429
    code = "rate_limited"


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        details.append({"field": ".".join(loc), "reason": str(err.get("msg", ""))})
    return details


HtmlRenderer = Callable[[Request, LinedeskError], Awaitable[Response]]


def wants_html(request: Request) -> bool:
    """Pages answer errors as pages; the API (and anything not asking for HTML) as JSON."""
    return not request.url.path.startswith("/api/") and \
        "text/html" in request.headers.get("accept", "")


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

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        message = "; ".join(f"{d['field']}: {d['reason']}" if d["field"] else d["reason"]
                            for d in details) or "Invalid request"
        return JSONResponse(error_body("validation_error", message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
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
