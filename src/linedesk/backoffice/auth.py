"""The back office's typed auth dependency: an API key in `Authorization: Bearer` or X-API-Key."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from linedesk.backoffice.models import ApiKey
from linedesk.backoffice.service import authenticate
from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="A back-office API key")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="A back-office API key")


async def _operator(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> ApiKey:
    key = header or (bearer.credentials if bearer else None)
    api_key = await authenticate(session, key, clock.now()) if key else None
    if api_key is None:
        raise Unauthorized(
            "A valid back-office API key is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.api_key_name = api_key.name
    return api_key


OperatorKey = Annotated[ApiKey, Depends(_operator)]
