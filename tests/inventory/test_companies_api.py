"""Back office: companies, one at a time."""

from tests.factories import company_data, vat


async def test_creating_a_company_with_a_valid_vat_number(backoffice):
    data = company_data(name="Verdi Trasporti S.r.l.")
    response = await backoffice.post("/api/v1/backoffice/companies", json=data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Verdi Trasporti S.r.l."
    assert body["vat_number"] == data["vat_number"]
    assert body["fiscal_code"] == data["vat_number"]  # a company's fiscal code is its VAT number

    read = await backoffice.get(f"/api/v1/backoffice/companies/{body['id']}")
    assert read.status_code == 200
    assert read.json()["segment"] == "sme"


async def test_a_vat_number_with_a_wrong_check_digit_is_422_in_the_error_shape(backoffice):
    good = vat()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    response = await backoffice.post(
        "/api/v1/backoffice/companies", json=company_data(vat_number=bad)
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "vat_number" in error["message"]
    assert any(d["field"] == "vat_number" for d in error["details"])


async def test_the_it_prefix_and_spaces_are_accepted(backoffice):
    number = vat()
    response = await backoffice.post(
        "/api/v1/backoffice/companies",
        json=company_data(vat_number=f"IT {number[:5]} {number[5:]}"),
    )
    assert response.status_code == 201
    assert response.json()["vat_number"] == number


async def test_a_second_company_with_the_same_vat_number_is_refused(backoffice):
    data = company_data()
    assert (await backoffice.post("/api/v1/backoffice/companies", json=data)).status_code == 201
    again = await backoffice.post("/api/v1/backoffice/companies", json=data)
    assert again.status_code == 422
    assert again.json()["error"]["details"] == [
        {"field": "vat_number", "reason": "a company with this VAT number exists"}
    ]


async def test_a_company_needs_an_sdi_code_or_a_pec(backoffice):
    data = company_data()
    del data["sdi_code"]
    response = await backoffice.post("/api/v1/backoffice/companies", json=data)
    assert response.status_code == 422
    assert "SDI recipient code or a PEC" in response.json()["error"]["message"]


async def test_companies_are_listed_with_a_total(backoffice):
    for name in ("Alfa S.r.l.", "Beta S.r.l.", "Gamma S.p.A."):
        await backoffice.post("/api/v1/backoffice/companies", json=company_data(name=name))
    response = await backoffice.get("/api/v1/backoffice/companies", params={"limit": 2})
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    assert [c["name"] for c in response.json()] == ["Alfa S.r.l.", "Beta S.r.l."]


async def test_an_unknown_company_is_404(backoffice):
    response = await backoffice.get("/api/v1/backoffice/companies/999999")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No such company"}}
