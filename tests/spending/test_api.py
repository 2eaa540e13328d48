"""GET /api/v1/spending (SPEC R-M4): billed months from the invoices, November's estimate,
the groupings and the top lines, for a known set of invoices; only the caller's company."""

import pytest

from tests.identity.helpers import bearer

URL = "/api/v1/spending"
RANGE = {"from": "2026-09", "to": "2026-11"}


def amounts(rows, *fields):
    return [tuple(row[f]["amount"] for f in fields) for row in rows]


@pytest.fixture
async def laura(client, spending_world):
    return await bearer(client, "laura")


async def test_billed_months_split_mobile_fixed_and_the_estimate(client, laura):
    response = await client.get(URL, params=RANGE, headers=laura)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["group_by"]) == ("2026-09", "2026-11", "month")
    assert [m["month"] for m in body["months"]] == ["2026-09", "2026-10", "2026-11"]
    assert [m["estimate"] for m in body["months"]] == [False, False, True]
    # Sep: 2 × (19.99 + 12.91) + 5.00 mobile, 30.00 fixed; Oct: 3.46 of extra traffic.
    # Nov (estimate): 2 × 32.90 + 7.25 + the new line's 10.00 + 12.91; the fixed 30.00.
    assert amounts(body["months"], "mobile", "fixed", "total") == [
        ("70.80", "30.00", "100.80"),
        ("69.26", "30.00", "99.26"),
        ("95.96", "30.00", "125.96"),
    ]
    assert body["billed"] == {"amount": "200.06", "currency": "EUR"}
    assert body["estimated"] == {"amount": "125.96", "currency": "EUR"}
    assert body["groups"] == []


async def test_top_lines_are_the_lines_billed_most(client, laura, spending_world):
    body = (await client.get(URL, params=RANGE, headers=laura)).json()
    assert [(t["msisdn"], t["kind"], t["total"]["amount"]) for t in body["top_lines"]] == [
        (spending_world.mobile, "mobile", "74.26"),
        (spending_world.mobile_2, "mobile", "65.80"),
        (spending_world.fixed, "fixed", "60.00"),
    ]
    assert body["top_lines"][2]["billing_account"] == spending_world.fixed_account


async def test_by_kind(client, laura):
    body = (await client.get(URL, params=RANGE | {"group_by": "kind"}, headers=laura)).json()
    groups = {g["key"]: g for g in body["groups"]}
    assert [m["amount"]["amount"] for m in groups["mobile"]["months"]] == [
        "70.80",
        "69.26",
        "95.96",
    ]
    assert groups["mobile"]["total"]["amount"] == "236.02"
    assert groups["fixed"]["total"]["amount"] == "90.00"
    assert groups["mobile"]["months"][-1]["estimate"] is True


async def test_by_billing_account(client, laura, spending_world):
    body = (
        await client.get(URL, params=RANGE | {"group_by": "billing_account"}, headers=laura)
    ).json()
    groups = {g["key"]: [m["amount"]["amount"] for m in g["months"]] for g in body["groups"]}
    assert groups == {
        spending_world.account: ["70.80", "69.26", "95.96"],
        spending_world.fixed_account: ["30.00", "30.00", "30.00"],
    }


async def test_by_line_is_paged_highest_first(client, laura, spending_world):
    response = await client.get(URL, params=RANGE | {"group_by": "line", "limit": 2}, headers=laura)
    assert response.headers["X-Total-Count"] == "3"
    assert [(g["key"], g["total"]["amount"]) for g in response.json()["groups"]] == [
        (spending_world.mobile, "74.26"),
        (spending_world.mobile_2, "65.80"),
    ]
    second = await client.get(
        URL, params=RANGE | {"group_by": "line", "limit": 2, "offset": 2}, headers=laura
    )
    assert [g["key"] for g in second.json()["groups"]] == [spending_world.fixed]
    assert second.headers["X-Total-Count"] == "3"


async def test_a_past_range_has_no_estimate(client, laura):
    body = (
        await client.get(URL, params={"from": "2026-10", "to": "2026-10"}, headers=laura)
    ).json()
    assert [(m["month"], m["estimate"], m["total"]["amount"]) for m in body["months"]] == [
        ("2026-10", False, "99.26")
    ]
    assert body["estimated"]["amount"] == "0.00"


async def test_the_default_range_is_the_last_twelve_months(client, laura):
    body = (await client.get(URL, headers=laura)).json()
    assert (body["from"], body["to"]) == ("2025-12", "2026-11")
    assert len(body["months"]) == 12 and body["billed"]["amount"] == "200.06"


async def test_another_company_sees_only_its_own(client, spending_world):
    other = await bearer(client, "altro")
    body = (await client.get(URL, params=RANGE | {"group_by": "line"}, headers=other)).json()
    assert [g["key"] for g in body["groups"]] == [spending_world.other_number]
    assert [t["msisdn"] for t in body["top_lines"]] == [spending_world.other_number]
    # Sep 19.99 + 12.91; Oct with 500.00 of traffic; November (estimate) with 400.00.
    assert [m["total"]["amount"] for m in body["months"]] == ["32.90", "532.90", "432.90"]


async def test_laura_never_sees_the_other_company(client, laura, spending_world):
    for group_by in ("month", "kind", "line", "billing_account"):
        text = (await client.get(URL, params=RANGE | {"group_by": group_by}, headers=laura)).text
        assert spending_world.other_number not in text and "532.90" not in text


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13"},
        {"from": "2026/01"},
        {"to": "November"},
        {"from": "2026-11", "to": "2026-09"},  # backwards
        {"from": "2023-11", "to": "2026-11"},  # 37 months
        {"to": "2026-12"},  # the future
        {"group_by": "day"},
    ],
)
async def test_bad_ranges_answer_422_in_the_error_shape(client, laura, params):
    for path in (URL, URL + ".csv"):
        response = await client.get(path, params=params, headers=laura)
        assert response.status_code == 422, (path, params, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}


async def test_thirty_six_months_is_the_most(client, laura):
    response = await client.get(URL, params={"from": "2023-12", "to": "2026-11"}, headers=laura)
    assert response.status_code == 200 and len(response.json()["months"]) == 36


async def test_employees_are_refused(client, spending_world):
    employee = await bearer(client, spending_world.mobile)
    for path in (URL, URL + ".csv"):
        response = await client.get(path, headers=employee)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "managers_only"


async def test_signed_out_is_401(client, spending_world):
    assert (await client.get(URL)).status_code == 401
