"""A line with a known offer and, optionally, its registered user."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.identity.models import User
from linedesk.inventory.models import Line, Offer
from linedesk.usage.rating import OfferTerms
from tests.factories import make_user, make_world

GB = 10**9


@dataclass
class AlertWorld:
    world: dict[str, Any]
    line: Line
    terms: OfferTerms
    user_id: int | None

    @property
    def msisdn(self) -> str:
        return self.line.msisdn


async def alert_world(
    session: AsyncSession, *, registered: bool = True, language: str = "it"
) -> AlertWorld:
    """50 GB of data, 500 minutes, 100 SMS, 10 GB of EU-roaming data."""
    world = await make_world(session, lines=2)
    await session.execute(
        update(Offer)
        .where(Offer.code == world["offer"])
        .values(voice_minutes=500, eu_roaming_data_mb=10_000)
    )
    user_id = None
    if registered:
        user_id = await make_user(session, world)
        await session.execute(update(User).where(User.id == user_id).values(language=language))
    await session.commit()
    line = await session.scalar(select(Line).where(Line.msisdn == world["numbers"][0]))
    assert line is not None
    offer = await session.scalar(
        select(Offer).where(Offer.id == line.offer_id).execution_options(populate_existing=True)
    )
    assert offer is not None
    return AlertWorld(world, line, OfferTerms.of(offer), user_id)
