"""GET /api/v1/lines/{msisdn}/summary (R-U2): the counters of the current period."""

from datetime import UTC, date, datetime

from tests.dashboard.usage_rows import balance, counter

GB = 1_000_000_000


async def test_a_postpaid_line_shows_used_included_remaining_and_its_charges(
    client, world, employee, session
):
    mine = world["numbers"][0]
    await counter(session, mine, data=12 * GB, voice=3_600, sms=30, charges="4.567")
    await counter(session, mine, data=99 * GB, period=date(2026, 10, 1))  # last month

    response = await client.get(f"/api/v1/lines/{mine}/summary", headers=employee)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["usage"]["data"] == {
        "used": 12 * GB,
        "included": 50 * GB,
        "remaining": 38 * GB,
        "unit": "bytes",
        "unlimited": False,
        "offered": True,
    }
    assert body["usage"]["voice"] == {
        "used": 3_600,
        "included": None,
        "remaining": None,
        "unit": "seconds",
        "unlimited": True,
        "offered": True,
    }
    assert body["usage"]["sms"] == {
        "used": 30,
        "included": 100,
        "remaining": 70,
        "unit": "messages",
        "unlimited": False,
        "offered": True,
    }
    assert body["roaming_data"]["unit"] == "bytes"
    assert body["credit"] == {
        "kind": "out_of_bundle_charges",
        "amount": {"amount": "4.57", "currency": "EUR"},
    }
    assert body["offer_name"] == "Business Test"
    assert body["period"] == "2026-11-01"
    assert datetime.fromisoformat(body["updated_at"]) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


async def test_a_prepaid_line_shows_its_balance(client, world, manager, session):
    prepaid = world["numbers"][2]
    await counter(session, prepaid, data=60 * GB, charges="100")
    await balance(session, prepaid, "7.5")

    body = (await client.get(f"/api/v1/lines/{prepaid}/summary", headers=manager)).json()

    assert body["credit"] == {
        "kind": "prepaid_balance",
        "amount": {"amount": "7.50", "currency": "EUR"},
    }
    assert body["usage"]["data"]["remaining"] == 0
    assert body["payment_mode"] == "prepaid"


async def test_before_any_usage_the_counters_are_zero_and_not_updated(client, world, employee):
    body = (
        await client.get(f"/api/v1/lines/{world['numbers'][0]}/summary", headers=employee)
    ).json()
    assert body["usage"]["data"]["used"] == 0 and body["usage"]["sms"]["remaining"] == 100
    assert body["credit"]["amount"]["amount"] == "0.00"
    assert body["updated_at"] is None


async def test_an_employee_reading_a_colleagues_line_gets_404(client, world, employee):
    colleague = world["numbers"][1]
    for path in (f"/api/v1/lines/{colleague}/summary", f"/api/v1/lines/{colleague}/usage"):
        response = await client.get(path, headers=employee)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


async def test_a_manager_reads_every_line_of_the_company_and_none_of_another(
    client, world, manager
):
    for number in world["numbers"]:
        response = await client.get(f"/api/v1/lines/{number}/summary", headers=manager)
        assert response.status_code == 200, number
    other = await client.get(f"/api/v1/lines/{world['other_number']}/summary", headers=manager)
    assert other.status_code == 404


async def test_a_number_in_any_italian_form_and_nonsense_alike(client, world, employee):
    national = world["numbers"][0].removeprefix("+39")
    assert (
        await client.get(f"/api/v1/lines/{national}/summary", headers=employee)
    ).status_code == 200
    assert (await client.get("/api/v1/lines/banana/summary", headers=employee)).status_code == 404


async def test_without_a_token_the_answer_is_401(client, world):
    response = await client.get(f"/api/v1/lines/{world['numbers'][0]}/summary")
    assert response.status_code == 401


async def _line_of(session, world, offer, **line):  # type: ignore[no-untyped-def]
    from tests.billing.conftest import add_line
    from tests.factories import make_user

    number = await add_line(session, world["account"], offer, **line)
    await session.commit()
    await make_user(session, world, username=number)
    return number


async def test_counters_the_offer_does_not_include_are_marked_not_offered(client, world, session):
    """A data-only SIM has no calls or SMS; a fixed line no SMS and no roaming: the summary
    (and the widget) say so, so that no client shows "0 min of 0 min"."""
    from tests.billing.conftest import add_offer
    from tests.identity.helpers import bearer

    data_offer = await add_offer(session, voice_minutes=0, sms=0)
    data_sim = await _line_of(session, world, data_offer, data_only=True, puk="12345678")
    body = (
        await client.get(
            f"/api/v1/lines/{data_sim}/summary", headers=await bearer(client, data_sim)
        )
    ).json()
    offered = {kind: body["usage"][kind]["offered"] for kind in ("data", "voice", "sms")}
    assert offered == {"data": True, "voice": False, "sms": False}
    assert body["roaming_data"]["offered"] is True
    widget = await client.get(
        "/api/v1/widget", params={"variant": "light"}, headers=await bearer(client, data_sim)
    )
    assert widget.json()["usage"]["voice"]["offered"] is False

    fixed_offer = await add_offer(
        session, kind="fixed", data_mb=None, sms=0, eu_roaming_data_mb=None
    )
    fixed = await _line_of(
        session, world, fixed_offer, msisdn="+390515550177", kind="fixed", iccid=None, puk=None
    )
    body = (
        await client.get(f"/api/v1/lines/{fixed}/summary", headers=await bearer(client, fixed))
    ).json()
    assert body["usage"]["sms"]["offered"] is False
    assert body["roaming_data"]["offered"] is False
    assert body["usage"]["data"]["offered"] is True and body["usage"]["voice"]["offered"] is True
