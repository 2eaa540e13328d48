"""GET /api/v1/lines/{msisdn}/usage (R-U3): per day and type, and the latest records."""

from datetime import UTC, date, datetime, timedelta

import pytest

from linedesk.usage.models import Destination, UsageType
from tests.dashboard.usage_rows import day, record


async def test_usage_per_day_and_type_with_the_latest_records(client, world, employee, session):
    mine = world["numbers"][0]
    await day(session, mine, date(2026, 11, 2), UsageType.data, 5_000_000)
    await day(session, mine, date(2026, 11, 2), UsageType.voice, 120)
    await day(session, mine, date(2026, 11, 3), UsageType.sms, 2, "0.38")
    await day(session, mine, date(2026, 10, 31), UsageType.data, 1)  # before the month
    await record(
        session,
        mine,
        datetime(2026, 11, 3, 8, tzinfo=UTC),
        UsageType.sms,
        1,
        "0.19",
        Destination.international,
    )
    await record(session, mine, datetime(2026, 11, 2, 8, tzinfo=UTC), UsageType.data, 5_000_000)

    response = await client.get(f"/api/v1/lines/{mine}/usage", headers=employee)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-20")
    assert [(d["day"], d["type"], d["quantity"]) for d in body["days"]] == [
        ("2026-11-02", "data", 5_000_000),
        ("2026-11-02", "voice", 120),
        ("2026-11-03", "sms", 2),
    ]
    assert body["days"][2]["charge"] == {"amount": "0.38", "currency": "EUR"}
    assert [r["type"] for r in body["latest_records"]] == ["sms", "data"]  # newest first
    assert body["latest_records"][0]["destination"] == "international"


async def test_a_chosen_range_and_type(client, world, employee, session):
    mine = world["numbers"][0]
    await day(session, mine, date(2026, 10, 31), UsageType.data, 7)
    await day(session, mine, date(2026, 10, 31), UsageType.sms, 1)
    await record(session, mine, datetime(2026, 10, 30, 23, 30, tzinfo=UTC), UsageType.data, 7)

    body = (
        await client.get(
            f"/api/v1/lines/{mine}/usage",
            headers=employee,
            params={"from": "2026-10-31", "to": "2026-10-31", "type": "data"},
        )
    ).json()

    assert [(d["day"], d["type"]) for d in body["days"]] == [("2026-10-31", "data")]
    # 23:30 UTC on the 30th is already the 31st in Rome
    assert len(body["latest_records"]) == 1


async def test_at_most_fifty_latest_records(client, world, employee, session):
    mine = world["numbers"][0]
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    for n in range(55):
        await record(session, mine, start + timedelta(minutes=n), UsageType.sms, 1)
    body = (await client.get(f"/api/v1/lines/{mine}/usage", headers=employee)).json()
    assert len(body["latest_records"]) == 50


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-11-10", "to": "2026-11-01"},
        {"from": "2025-01-01", "to": "2026-11-01"},
        {"from": "yesterday"},
        {"to": "2026-13-01"},
        {"type": "fax"},
    ],
)
async def test_a_bad_range_is_a_422_in_the_error_shape(client, world, employee, params):
    response = await client.get(
        f"/api/v1/lines/{world['numbers'][0]}/usage", headers=employee, params=params
    )
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]) >= {"code", "message"}


async def test_four_hundred_days_are_allowed(client, world, employee):
    response = await client.get(
        f"/api/v1/lines/{world['numbers'][0]}/usage",
        headers=employee,
        params={"from": "2025-10-17", "to": "2026-11-20"},
    )
    assert response.status_code == 200, response.text
