"""Every query of the back office's API keys (operators' keys: no company scope)."""

from collections.abc import Sequence

from sqlalchemy import select

from linedesk.backoffice.models import ApiKey
from linedesk.kit.repository import SessionRepository


class ApiKeyRepository(SessionRepository):
    async def by_name(self, name: str) -> ApiKey | None:
        key: ApiKey | None = await self.session.scalar(select(ApiKey).where(ApiKey.name == name))
        return key

    async def all(self) -> Sequence[ApiKey]:
        return (await self.session.scalars(select(ApiKey).order_by(ApiKey.name))).all()

    async def active_by_digest(self, digest: str) -> ApiKey | None:
        key: ApiKey | None = await self.session.scalar(
            select(ApiKey).where(ApiKey.key_digest == digest, ApiKey.revoked_at.is_(None))
        )
        return key
