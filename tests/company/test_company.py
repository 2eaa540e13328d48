"""The company's data for managers (SPEC R-M5): record with counts, billing accounts, lines
with search, filters and pages; employees refused; another company's data never shown."""

import pytest

from linedesk.kit.i18n import grouped_number
from tests.billing.conftest import add_account, add_line, add_offer
from tests.factories import make_user, make_world
from tests.identity.helpers import bearer
from tests.identity.test_web_sessions import HTML, sign_in_web


@pytest.fixture
async def company(session):
    """3 active mobile lines on one account, a fixed line and a suspended mobile line on a
    second account, a ceased mobile line; another company with one line."""
    world = await make_world(session, lines=3)
    fixed_offer = await add_offer(
        session, kind="fixed", monthly_fee="30.00", data_mb=None, sms=None
    )
    second = await add_account(session, world["vat"])
    fixed = await add_line(
        session, second, fixed_offer, msisdn="+390515550177", kind="fixed", iccid=None, puk=None
    )
    suspended = await add_line(session, second, world["offer"], status="suspended")
    ceased = await add_line(session, world["account"], world["offer"], status="ceased")
    other = await make_world(session, name="Altra Azienda S.p.A.", lines=1)
    await session.commit()
    await make_user(session, world, profile="telco_manager", username="tina")
    await make_user(session, world, profile="employee")
    await make_user(session, other, profile="user_admin", username="altro")
    return world | {
        "second": second,
        "fixed": fixed,
        "suspended": suspended,
        "ceased": ceased,
        "fixed_offer": fixed_offer,
        "other": other,
    }


@pytest.fixture
async def tina(client, company):
    return await bearer(client, "tina")


async def test_the_company_record_and_its_line_counts(client, tina, company):
    response = await client.get("/api/v1/company", headers=tina)
    assert response.status_code == 200
    body = response.json()
    assert body["vat_number"] == company["vat"] and body["name"] == "Rossi Impianti S.r.l."
    assert body["billing_accounts"] == 2
    assert body["lines"]["total"] == 6
    assert body["lines"]["by_kind"] == {"mobile": 5, "fixed": 1}
    assert body["lines"]["by_status"] == {"active": 4, "suspended": 1, "ceased": 1}
    assert {"kind": "mobile", "status": "active", "count": 3} in body["lines"]["by_kind_and_status"]


async def test_billing_accounts_are_the_company_s_own(client, tina, company):
    response = await client.get("/api/v1/billing-accounts", headers=tina)
    assert response.headers["X-Total-Count"] == "2"
    assert sorted(a["code"] for a in response.json()) == sorted(
        [company["account"], company["second"]]
    )
    assert company["other"]["account"] not in response.text


async def _numbers(client, headers, **params):
    response = await client.get("/api/v1/company/lines", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [line["msisdn"] for line in response.json()], response.headers["X-Total-Count"]


async def test_lines_filters(client, tina, company):
    numbers, total = await _numbers(client, tina)
    assert total == "6" and company["other"]["numbers"][0] not in numbers
    assert await _numbers(client, tina, kind="fixed") == ([company["fixed"]], "1")
    assert await _numbers(client, tina, status="suspended") == ([company["suspended"]], "1")
    assert await _numbers(client, tina, offer=company["fixed_offer"]) == ([company["fixed"]], "1")
    assert sorted((await _numbers(client, tina, billing_account=company["second"]))[0]) == sorted(
        [company["fixed"], company["suspended"]]
    )
    assert await _numbers(client, tina, search="0515550177") == ([company["fixed"]], "1")
    assert await _numbers(client, tina, search=company["other"]["numbers"][0]) == ([], "0")
    assert await _numbers(client, tina, kind="mobile", status="ceased") == (
        [company["ceased"]],
        "1",
    )


async def test_lines_are_paged(client, tina):
    first, total = await _numbers(client, tina, limit=4)
    second, _ = await _numbers(client, tina, limit=4, offset=4)
    assert total == "6" and len(first) == 4 and len(second) == 2
    assert first + second == sorted(first + second)


async def test_another_company_sees_only_its_own(client, company):
    other = await bearer(client, "altro")
    assert (await client.get("/api/v1/company", headers=other)).json()["lines"]["total"] == 1
    assert await _numbers(client, other) == (company["other"]["numbers"], "1")
    assert await _numbers(client, other, billing_account=company["account"]) == ([], "0")


async def test_employees_are_refused(client, company):
    employee = await bearer(client, company["numbers"][0])
    for path in ("/api/v1/company", "/api/v1/company/lines", "/api/v1/billing-accounts"):
        response = await client.get(path, headers=employee)
        assert response.status_code == 403, path


async def test_bad_filters_answer_422(client, tina):
    for params in ({"kind": "satellite"}, {"status": "gone"}, {"limit": 0}):
        response = await client.get("/api/v1/company/lines", params=params, headers=tina)
        assert (
            response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
        )


async def test_the_company_page(client, company):
    await sign_in_web(client, "tina")
    page = await client.get("/company", headers=HTML)
    assert page.status_code == 200
    assert "Dati aziendali" in page.text and company["vat"] in page.text
    assert company["second"] in page.text and "Conti di fatturazione" in page.text
    assert 'href="/company/lines?kind=mobile&amp;status=suspended">1</a>' in page.text


async def test_the_lines_page_searches_filters_and_pages(client, company):
    await sign_in_web(client, "tina")
    page = await client.get(
        "/company/lines", params={"kind": "", "status": "", "limit": 4}, headers=HTML
    )
    assert page.status_code == 200 and "1–4 di 6" in page.text
    assert 'href="/company/lines?limit=4&amp;offset=4" rel="next"' in page.text
    fixed = await client.get("/company/lines", params={"kind": "fixed", "lang": "en"}, headers=HTML)
    assert grouped_number(company["fixed"]) in fixed.text
    assert grouped_number(company["numbers"][0]) not in fixed.text
    assert '<option value="fixed" selected>' in fixed.text
    assert grouped_number(company["other"]["numbers"][0]) not in fixed.text


async def test_the_pages_are_for_managers_only(client, company):
    await sign_in_web(client, company["numbers"][0])
    for path in ("/company", "/company/lines"):
        assert (await client.get(path, headers=HTML)).status_code == 403


async def test_lines_are_found_by_their_holder_s_name_too(client, session, company, tina):
    marco = await add_line(
        session, company["account"], company["offer"], holder_name="Marco Bianchi"
    )
    await session.commit()
    found = await client.get("/api/v1/company/lines", params={"search": "bianchi"}, headers=tina)
    assert [line["msisdn"] for line in found.json()] == [marco]
    by_digits = await client.get(
        "/api/v1/company/lines", params={"search": marco[-6:]}, headers=tina
    )
    assert [line["msisdn"] for line in by_digits.json()] == [marco]
    await sign_in_web(client, "tina")
    page = await client.get("/company/lines", params={"search": "Marco Bi"}, headers=HTML)
    assert grouped_number(marco) in page.text
    assert grouped_number(company["numbers"][0]) not in page.text
    assert "Numero o intestatario" in page.text


async def test_line_statuses_agree_with_linea(client, company):
    """ "Attiva" and "Sospesa", as "linea" is feminine; English says Active."""
    await sign_in_web(client, "tina")
    page = await client.get("/company/lines", headers=HTML)
    assert ">Attiva</span>" in page.text and ">Sospesa</span>" in page.text
    assert "Attivo" not in page.text
    overview = await client.get("/company", headers=HTML)
    assert ">Attiva</th>" in overview.text and "Attivo" not in overview.text
    english = await client.get("/company/lines?lang=en", headers=HTML)
    assert ">Active</span>" in english.text
