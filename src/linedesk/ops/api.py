"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from linedesk.errors import ErrorResponse, error_body

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={
    503: {"model": ErrorResponse, "description": "The database does not answer"}})
async def readyz(request: Request) -> JSONResponse:
    """The process can serve: its database answers."""
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database means not ready
        message = f"database unreachable: {type(exc).__name__}"
        return JSONResponse(error_body("not_ready", message), status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
