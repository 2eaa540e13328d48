"""Bulk CSV: every row or none, each bad row named with its line number."""

from sqlalchemy import func, select

from linedesk.inventory.models import Company, Line
from tests.factories import iccid, make_world, vat

COMPANIES_HEADER = (
    "name,vat_number,segment,address_street,address_postal_code,address_city,"
    "address_province,contact_email,sdi_code\n"
)


def _company_row(name: str, number: str, segment: str = "sme") -> str:
    return f"{name},{number},{segment},Via Po 3,10123,Torino,TO,info@example.it,M5UXCR1\n"


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_a_good_file_imports_every_row(backoffice, session):
    csv = (
        COMPANIES_HEADER
        + _company_row("Uno S.r.l.", vat())
        + _company_row("Due S.p.A.", vat(), "large")
    )
    response = await backoffice.post(
        "/api/v1/backoffice/companies/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"resource": "companies", "imported": 2}
    assert await _count(session, Company) == 2


async def test_one_bad_row_imports_nothing_and_names_the_row(backoffice, session):
    good = vat()
    csv = (
        COMPANIES_HEADER
        + _company_row("Uno S.r.l.", good)
        + _company_row("Due S.r.l.", "12345678901")  # wrong check digit, line 3
        + _company_row("Tre S.r.l.", vat(), segment="huge")
    )  # unknown segment, line 4
    response = await backoffice.post(
        "/api/v1/backoffice/companies/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["message"] == "2 row(s) have errors; nothing was imported"
    assert [(d["row"], d["field"]) for d in error["details"]] == [(3, "vat_number"), (4, "segment")]
    assert await _count(session, Company) == 0


async def test_a_reference_error_in_a_later_row_rolls_back_every_line(backoffice, session):
    world = await make_world(session, lines=0)
    header = "msisdn;kind;billing_account_code;offer_code;activation_date;iccid;puk\n"
    rows = [
        f"+39347{9000000 + i};mobile;{world['account']};{world['offer']};2024-01-0{i + 1};"
        f"{iccid()};12345678\n"
        for i in range(3)
    ]
    rows.append(
        f"+393479000009;mobile;NO-SUCH-ACCOUNT;{world['offer']};2024-01-09;{iccid()};12345678\n"
    )
    response = await backoffice.post(
        "/api/v1/backoffice/lines/import",
        content=header + "".join(rows),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"row": 5, "field": "billing_account_code", "reason": "no billing account has this code"}
    ]
    assert await _count(session, Line) == 0


async def test_a_number_twice_in_the_file_is_reported_on_both_rows(backoffice, session):
    world = await make_world(session, lines=0)
    header = "msisdn,kind,billing_account_code,offer_code,activation_date,iccid,puk\n"
    row = "{n},mobile,{a},{o},2024-01-01,{i},12345678\n"
    csv = header + "".join(
        row.format(n=n, a=world["account"], o=world["offer"], i=iccid())
        for n in ("3471111111", "+39 347 111 1111")
    )
    response = await backoffice.post(
        "/api/v1/backoffice/lines/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert [(d["row"], d["reason"]) for d in details] == [
        (2, "this number appears more than once in the file"),
        (3, "this number appears more than once in the file"),
    ]


async def test_a_file_can_be_uploaded_as_a_form_field(backoffice, session):
    csv = COMPANIES_HEADER + _company_row("Uno S.r.l.", vat())
    response = await backoffice.post(
        "/api/v1/backoffice/companies/import",
        files={"file": ("companies.csv", csv.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert await _count(session, Company) == 1


async def test_an_unknown_column_is_reported(backoffice):
    csv = COMPANIES_HEADER.replace("sdi_code", "sdi_code,colour") + _company_row(
        "Uno S.r.l.", vat()
    ).replace("\n", ",red\n")
    response = await backoffice.post(
        "/api/v1/backoffice/companies/import", content=csv, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert {"row": 2, "field": "colour", "reason": "unknown column"} in response.json()["error"][
        "details"
    ]


async def test_an_empty_or_non_utf8_file_is_a_clear_error(backoffice):
    empty = await backoffice.post(
        "/api/v1/backoffice/companies/import", content=b"", headers={"Content-Type": "text/csv"}
    )
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "bad_csv"
    latin1 = await backoffice.post(
        "/api/v1/backoffice/companies/import",
        content=(COMPANIES_HEADER + "Città,x\n").encode("latin-1"),
        headers={"Content-Type": "text/csv"},
    )
    assert latin1.status_code == 422
    assert latin1.json()["error"]["message"] == "The CSV file must be UTF-8 encoded"


async def test_an_unknown_resource_is_refused_with_the_choices(backoffice):
    response = await backoffice.post(
        "/api/v1/backoffice/invoices/import", content="a\n1\n", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert (
        "'companies', 'billing-accounts', 'offers' or 'lines'"
        in response.json()["error"]["message"]
    )
