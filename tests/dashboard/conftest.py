"""Two companies: Rossi (an employee on line 0, a colleague's line 1, a prepaid line 2 and
their manager) and Bianchi (one line)."""

from typing import Any

import pytest

from linedesk.inventory.schemas import LineCreate
from linedesk.inventory.service import RESOURCES, create_one
from tests.factories import CTX, line_data, make_user, make_world
from tests.identity.helpers import bearer


@pytest.fixture
async def world(session) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    world = await make_world(session, lines=2)
    prepaid = LineCreate(**line_data(world["account"], world["offer"], payment_mode="prepaid"))
    await create_one(session, RESOURCES["lines"], prepaid, CTX)
    world["numbers"].append(prepaid.msisdn)
    world["employee"] = await make_user(session, world)
    world["manager"] = await make_user(session, world, profile="user_admin", username="laura.admin")
    other = await make_world(session, name="Bianchi Trasporti S.p.A.", lines=1)
    world["other_number"] = other["numbers"][0]
    await session.commit()
    return world


@pytest.fixture
async def employee(client, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return await bearer(client, world["numbers"][0])


@pytest.fixture
async def manager(client, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return await bearer(client, "laura.admin")
