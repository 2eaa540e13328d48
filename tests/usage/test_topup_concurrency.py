"""Top-ups arriving at once: one reference adds credit once, and every request gets the same
idempotent answer, never a 500 (issue 12 §1)."""

import asyncio
from decimal import Decimal

from sqlalchemy import func, select

from linedesk.usage.models import PrepaidBalance, PrepaidTopUp

AT_ONCE = 20


def _path(usage_world) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/backoffice/lines/{usage_world.numbers['prepaid']}/top-ups"


async def test_one_reference_sent_twenty_times_at_once_tops_up_once(
    backoffice, session, usage_world
):
    body = {"amount": "10.00", "reference": "SAME-REF"}
    responses = await asyncio.gather(
        *(backoffice.post(_path(usage_world), json=body) for _ in range(AT_ONCE))
    )
    assert [r.status_code for r in responses] == [200] * AT_ONCE, [r.text for r in responses]
    assert {r.json()["balance"] for r in responses} == {"10.000000"}
    assert await session.scalar(select(func.count()).select_from(PrepaidTopUp)) == 1
    assert await session.scalar(select(PrepaidBalance.balance)) == Decimal("10")


async def test_different_references_at_once_all_add_up(backoffice, session, usage_world):
    responses = await asyncio.gather(
        *(
            backoffice.post(_path(usage_world), json={"amount": "1.50", "reference": f"REF-{n}"})
            for n in range(AT_ONCE)
        )
    )
    assert [r.status_code for r in responses] == [200] * AT_ONCE, [r.text for r in responses]
    assert await session.scalar(select(PrepaidBalance.balance)) == Decimal("1.50") * AT_ONCE


async def test_one_reference_for_other_amounts_at_once_is_one_top_up_and_conflicts(
    backoffice, session, usage_world
):
    responses = await asyncio.gather(
        *(
            backoffice.post(_path(usage_world), json={"amount": f"{n + 1}.00", "reference": "R"})
            for n in range(AT_ONCE)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (AT_ONCE - 1), [r.text for r in responses]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"conflict"}
    assert await session.scalar(select(func.count()).select_from(PrepaidTopUp)) == 1
