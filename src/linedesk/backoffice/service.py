"""Create, revoke and check back-office API keys. Keys are shown once and stored as digests."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.backoffice.models import ApiKey
from linedesk.backoffice.repository import ApiKeyRepository
from linedesk.errors import Conflict, found
from linedesk.kit.hashing import new_token, token_digest

KEY_PREFIX = "ldk"


async def create_api_key(session: AsyncSession, name: str, now: datetime) -> str:
    if await ApiKeyRepository(session).by_name(name) is not None:
        raise Conflict(f"An API key named '{name}' exists")
    key = new_token(KEY_PREFIX)
    session.add(ApiKey(name=name, key_digest=token_digest(key), created_at=now))
    await session.flush()
    return key


async def revoke_api_key(session: AsyncSession, name: str, now: datetime) -> None:
    api_key = found(await ApiKeyRepository(session).by_name(name), f"No API key named '{name}'")
    if api_key.revoked_at is None:
        api_key.revoked_at = now
    await session.flush()


async def list_api_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return await ApiKeyRepository(session).all()


async def authenticate(session: AsyncSession, key: str, now: datetime) -> ApiKey | None:
    api_key = await ApiKeyRepository(session).active_by_digest(token_digest(key))
    if api_key is not None:
        api_key.last_used_at = now
    return api_key
