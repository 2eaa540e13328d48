"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from linedesk.deps import SettingsDep
from linedesk.errors import ErrorResponse, NotFound, error_body
from linedesk.kit.ratelimit import STORAGE_RETRY_AFTER

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {
            "model": ErrorResponse,
            "description": "The database, or Redis when configured, does not answer; "
            "`details` names each (`component`: `database` or `redis`)",
        }
    },
)
async def readyz(request: Request) -> JSONResponse:
    """The process can serve: its database answers, and so does Redis (the rate limits'
    counts) when it is configured."""
    problems = []
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means not ready
        problems.append({"component": "database", "reason": f"unreachable: {type(exc).__name__}"})
    limiter = request.app.state.limiter
    if limiter.shared and not await limiter.is_healthy():
        problems.append({"component": "redis", "reason": "unreachable"})
    if problems:
        message = "; ".join(f"{p['component']} {p['reason']}" for p in problems)
        return JSONResponse(
            error_body("not_ready", message, problems),
            status_code=503,
            headers={"Retry-After": str(STORAGE_RETRY_AFTER)},
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
async def metrics(settings: SettingsDep) -> Response:
    """Prometheus metrics of this process, where LINEDESK_SERVE_METRICS allows (default: not
    in production): 404 otherwise, as for any unknown path."""
    if not settings.serves_metrics:
        raise NotFound("Not Found")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
