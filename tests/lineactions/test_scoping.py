"""Who may act on which line: an employee on their own lines only (a colleague's is 404),
a manager (user admin or telco manager) on any line of the company, another company never;
a data-only SIM refuses voice bars with a clear 422."""

from linedesk.inventory.schemas import LineCreate
from linedesk.inventory.service import RESOURCES, create_one
from tests.factories import CTX, line_data, make_world
from tests.identity.helpers import PASSWORD, bearer
from tests.lineactions.conftest import add_user


async def test_an_employee_blocking_a_colleagues_line_gets_404(client, company, as_employee):
    colleague = company["numbers"][1]
    response = await client.post(
        f"/api/v1/lines/{colleague}/block", json={"reason": "lost"}, headers=as_employee
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    own = await client.post(
        f"/api/v1/lines/{company['numbers'][0]}/block", json={"reason": "lost"}, headers=as_employee
    )
    assert own.status_code == 202 and own.json()["state"] == "requested"


async def test_a_telco_manager_may_act_and_another_company_gets_404(client, session, company):
    as_telco = await bearer(client, "marco", PASSWORD)
    number = company["numbers"][1]
    acted = await client.put(
        f"/api/v1/lines/{number}/services", json={"roaming": False}, headers=as_telco
    )
    assert acted.status_code == 202 and acted.json()["msisdn"] == number

    other = await make_world(session, name="Bianchi S.p.A.", lines=1)
    await add_user(session, other, profile="user_admin", username="bruno")
    as_other = await bearer(client, "bruno", PASSWORD)
    for method, path, body in (
        ("post", f"/lines/{number}/block", {"reason": "lost"}),
        ("get", f"/lines/{number}/services", None),
        ("put", f"/lines/{number}/spending-cap", {"amount": "10.00"}),
        ("post", f"/lines/{number}/sim-replacements", {"kind": "esim"}),
    ):
        response = await client.request(method, "/api/v1" + path, json=body, headers=as_other)
        assert response.status_code == 404, path
    request_id = acted.json()["id"]
    assert (await client.get(f"/api/v1/requests/{request_id}", headers=as_other)).status_code == 404
    assert (await client.get("/api/v1/requests", headers=as_other)).json() == []


async def test_employees_see_their_own_requests_and_may_not_do_managers_actions(
    client, company, as_employee, as_manager
):
    own, colleague = company["numbers"][0], company["numbers"][1]
    await client.put(
        f"/api/v1/lines/{colleague}/services", json={"roaming": False}, headers=as_manager
    )
    for path, body in (
        (f"/lines/{own}/sim-replacements", {"kind": "esim"}),
        (f"/lines/{own}/offer-change", {"offer_id": 1}),
    ):
        response = await client.post("/api/v1" + path, json=body, headers=as_employee)
        assert response.status_code == 403 and response.json()["error"]["code"] == "managers_only"
    cap = await client.put(
        f"/api/v1/lines/{own}/spending-cap", json={"amount": "20.00"}, headers=as_employee
    )
    assert cap.status_code == 403
    assert (await client.get("/api/v1/requests", headers=as_employee)).json() == []
    assert len((await client.get("/api/v1/requests", headers=as_manager)).json()) == 1


async def test_roaming_is_the_employees_to_switch_only_when_the_company_allows(
    client, company, as_employee, as_manager
):
    own = company["numbers"][0]
    url = f"/api/v1/lines/{own}/services"
    services = (await client.get(url, headers=as_employee)).json()
    assert services["can_change"] == [] and services["roaming"] is True
    refused = await client.put(url, json={"roaming": False}, headers=as_employee)
    assert refused.status_code == 403
    policy = await client.put(
        "/api/v1/company/line-policy", json={"employees_switch_roaming": True}, headers=as_manager
    )
    assert policy.status_code == 200
    assert (await client.get(url, headers=as_employee)).json()["can_change"] == ["roaming"]
    assert (await client.put(url, json={"roaming": False}, headers=as_employee)).status_code == 202
    data = await client.put(url, json={"mobile_data": False}, headers=as_employee)
    assert data.status_code == 403


async def test_a_data_only_sim_refuses_voice_bars_with_a_clear_422(
    client, session, company, as_manager
):
    line = LineCreate(**line_data(company["account"], company["offer"], data_only=True))
    await create_one(session, RESOURCES["lines"], line, CTX)
    await session.commit()
    url = f"/api/v1/lines/{line.msisdn}/services"
    for body in ({"international_calls": False}, {"premium_services": True, "roaming": False}):
        response = await client.put(url, json=body, headers=as_manager)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "data_only_sim"
        assert "data-only SIM" in error["message"]
    services = (await client.get(url, headers=as_manager)).json()
    assert services["data_only"] is True
    assert services["can_change"] == ["roaming", "mobile_data"]
    assert (await client.put(url, json={"roaming": False}, headers=as_manager)).status_code == 202
