"""Back office: offers, billing accounts, lines with SIMs, SIM swap."""

from datetime import timedelta

from sqlalchemy import select

from linedesk.inventory.models import Sim
from linedesk.inventory.service import PUK_PURPOSE
from linedesk.kit.hashing import keyed_hash
from tests.conftest import NOW, TEST_SECRET
from tests.factories import account_data, company_data, iccid, line_data, offer_data


async def _account_and_offer(backoffice, kind="mobile"):
    company = company_data()
    assert (await backoffice.post("/api/v1/backoffice/companies", json=company)).status_code == 201
    account = account_data(company["vat_number"])
    assert (
        await backoffice.post("/api/v1/backoffice/billing-accounts", json=account)
    ).status_code == 201
    offer = offer_data(kind=kind)
    assert (await backoffice.post("/api/v1/backoffice/offers", json=offer)).status_code == 201
    return account["code"], offer["code"]


async def test_a_mobile_line_is_created_with_its_sim_and_the_puk_is_stored_hashed(
    backoffice, session
):
    account, offer = await _account_and_offer(backoffice)
    data = line_data(account, offer, msisdn="347 123 4567", puk="11223344")
    response = await backoffice.post("/api/v1/backoffice/lines", json=data)
    assert response.status_code == 201, response.text
    line = response.json()
    assert line["msisdn"] == "+393471234567"
    assert line["sim"]["iccid"] == data["iccid"]
    assert line["billing_account_code"] == account
    assert "puk" not in response.text.lower().replace("puk_", "")

    sim = (await session.execute(select(Sim))).scalar_one()
    assert sim.puk_hash != "11223344"
    assert sim.puk_hash == keyed_hash(TEST_SECRET, PUK_PURPOSE, "11223344")


async def test_a_fixed_number_cannot_be_a_mobile_line(backoffice):
    account, offer = await _account_and_offer(backoffice)
    response = await backoffice.post(
        "/api/v1/backoffice/lines", json=line_data(account, offer, msisdn="+39 051 6480111")
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "msisdn", "reason": "'+39 051 6480111' is not a mobile number"}
    ]


async def test_a_fixed_line_takes_a_fixed_offer_and_no_sim(backoffice):
    account, offer = await _account_and_offer(backoffice, kind="fixed")
    data = {
        "msisdn": "051 6480111",
        "kind": "fixed",
        "billing_account_code": account,
        "offer_code": offer,
        "activation_date": "2023-05-02",
    }
    response = await backoffice.post("/api/v1/backoffice/lines", json=data)
    assert response.status_code == 201, response.text
    assert response.json()["sim"] is None
    assert response.json()["msisdn"] == "+390516480111"


async def test_a_mobile_offer_on_a_fixed_line_is_refused(backoffice):
    account, offer = await _account_and_offer(backoffice, kind="mobile")
    data = {
        "msisdn": "051 6480112",
        "kind": "fixed",
        "billing_account_code": account,
        "offer_code": offer,
        "activation_date": "2023-05-02",
    }
    response = await backoffice.post("/api/v1/backoffice/lines", json=data)
    assert response.status_code == 422
    assert f"offer {offer} is for mobile lines" in response.json()["error"]["message"]


async def test_sim_swap_records_the_new_sim_and_keeps_the_old_one_as_history(backoffice, clock):
    account, offer = await _account_and_offer(backoffice)
    data = line_data(account, offer)
    await backoffice.post("/api/v1/backoffice/lines", json=data)
    clock.at = NOW + timedelta(days=3)
    new_iccid = iccid()
    response = await backoffice.post(
        f"/api/v1/backoffice/lines/{data['msisdn']}/sim-swap",
        json={"iccid": new_iccid, "puk": "99887766"},
    )
    assert response.status_code == 200, response.text
    line = response.json()
    assert line["sim"]["iccid"] == new_iccid
    assert line["sim"]["installed_at"].startswith("2026-11-23")
    assert [s["iccid"] for s in line["sim_history"]] == [new_iccid, data["iccid"]]
    assert line["sim_history"][1]["replaced_at"].startswith("2026-11-23")
    clock.at = NOW


async def test_sim_swap_to_an_iccid_in_use_is_refused(backoffice):
    account, offer = await _account_and_offer(backoffice)
    first, second = line_data(account, offer), line_data(account, offer)
    await backoffice.post("/api/v1/backoffice/lines", json=first)
    await backoffice.post("/api/v1/backoffice/lines", json=second)
    response = await backoffice.post(
        f"/api/v1/backoffice/lines/{first['msisdn']}/sim-swap",
        json={"iccid": second["iccid"], "puk": "99887766"},
    )
    assert response.status_code == 422


async def test_lines_are_filtered_and_counted(backoffice):
    account, offer = await _account_and_offer(backoffice)
    for _ in range(3):
        await backoffice.post("/api/v1/backoffice/lines", json=line_data(account, offer))
    response = await backoffice.get(
        "/api/v1/backoffice/lines", params={"billing_account_code": account, "kind": "mobile"}
    )
    assert response.headers["X-Total-Count"] == "3"
    assert {line["offer_code"] for line in response.json()} == {offer}
    none = await backoffice.get("/api/v1/backoffice/lines", params={"kind": "fixed"})
    assert none.headers["X-Total-Count"] == "0"


async def test_a_billing_account_for_an_unknown_company_is_refused(backoffice):
    response = await backoffice.post(
        "/api/v1/backoffice/billing-accounts", json=account_data(company_data()["vat_number"])
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "company_vat_number"


async def test_sepa_direct_debit_needs_a_valid_iban(backoffice):
    company = company_data()
    await backoffice.post("/api/v1/backoffice/companies", json=company)
    no_iban = account_data(company["vat_number"], payment_method="sepa_direct_debit")
    assert (
        await backoffice.post("/api/v1/backoffice/billing-accounts", json=no_iban)
    ).status_code == 422
    bad_iban = no_iban | {"iban": "IT00X0542811101000000123456"}
    assert (
        await backoffice.post("/api/v1/backoffice/billing-accounts", json=bad_iban)
    ).status_code == 422
    good = no_iban | {"iban": "IT60X0542811101000000123456"}
    response = await backoffice.post("/api/v1/backoffice/billing-accounts", json=good)
    assert response.status_code == 201, response.text
