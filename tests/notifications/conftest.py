"""A company with one invoice, its managers (and an employee), and another company."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.service import issue_invoices
from linedesk.identity.models import User
from linedesk.messaging.models import Channel, OutboxMessage
from linedesk.notifications.models import Notification
from linedesk.notifications.service import notify_invoices_issued
from tests.billing.conftest import OCTOBER, BillingWorld, billing_world
from tests.conftest import NOW
from tests.factories import make_user, make_world
from tests.identity.helpers import bearer

__all__ = ["billing_world"]
DUE = datetime(2026, 12, 20, tzinfo=UTC)  # the October invoice's due date (issued 20 Nov)


@dataclass
class Managers:
    world: BillingWorld
    admin: int
    telco: int
    employee: int
    other_admin: int


def world_dict(world: BillingWorld) -> dict[str, Any]:
    return {"company_id": world.company_id, "numbers": [world.numbers["mobile"]]}


@pytest.fixture
async def managers(session: AsyncSession, billing_world: BillingWorld) -> Managers:
    w = world_dict(billing_world)
    admin = await make_user(
        session, w, profile="user_admin", username="anna", email="anna@example.it"
    )
    telco = await make_user(
        session, w, profile="telco_manager", username="marco", email="marco@example.it"
    )
    gone = await make_user(
        session, w, profile="telco_manager", username="gone", email="gone@example.it"
    )
    employee = await make_user(session, w)
    other = await make_world(session, name="Altra S.p.A.", lines=1)
    other_admin = await make_user(
        session, other, profile="user_admin", username="olga", email="olga@example.it"
    )
    user = await session.get(User, gone)
    assert user is not None
    user.disabled_at = NOW
    await session.commit()
    return Managers(billing_world, admin, telco, employee, other_admin)


async def bill_october(session: AsyncSession, now: datetime = NOW) -> None:
    await issue_invoices(session, now, OCTOBER, on_issued=notify_invoices_issued)
    await session.commit()


async def notifications_of(session: AsyncSession, user_id: int) -> list[Notification]:
    return list(
        await session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    )


async def outbox(session: AsyncSession, channel: Channel) -> list[OutboxMessage]:
    return list(
        await session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == channel).order_by(OutboxMessage.id)
        )
    )


async def headers_of(client: Any, username: str) -> dict[str, str]:
    return await bearer(client, username)
