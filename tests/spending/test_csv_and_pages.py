"""The CSV export (`;`, decimal comma, UTF-8 with BOM) and the /spending page."""

import csv
import io
import re

import pytest

from linedesk.kit.i18n import grouped_number
from linedesk.spending.export import parse_amount
from tests.identity.helpers import bearer
from tests.identity.test_web_sessions import HTML, sign_in_web

RANGE = {"from": "2026-09", "to": "2026-11"}


@pytest.fixture
async def laura(client, spending_world):
    return await bearer(client, "laura")


def rows_of(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = raw[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


async def test_csv_by_month_is_excel_friendly(client, laura):
    response = await client.get("/api/v1/spending.csv", params=RANGE, headers=laura)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        'filename="spending-2026-09-2026-11-month.csv"' in response.headers["content-disposition"]
    )
    assert rows_of(response.content) == [
        ["month", "mobile", "fixed", "total", "estimate"],
        ["2026-09", "70,80", "30,00", "100,80", "no"],
        ["2026-10", "69,26", "30,00", "99,26", "no"],
        ["2026-11", "95,96", "30,00", "125,96", "yes"],
    ]
    assert parse_amount("125,96") == parse_amount("125.96")


async def test_csv_by_billing_account_has_a_row_per_account_and_month(
    client, laura, spending_world
):
    response = await client.get(
        "/api/v1/spending.csv", params=RANGE | {"group_by": "billing_account"}, headers=laura
    )
    rows = rows_of(response.content)
    assert rows[0] == ["month", "billing_account", "amount", "estimate"]
    assert ["2026-11", spending_world.fixed_account, "30,00", "yes"] in rows
    assert len(rows) == 1 + 2 * 3


async def test_csv_by_line_lists_every_line(client, laura, spending_world):
    response = await client.get(
        "/api/v1/spending.csv", params=RANGE | {"group_by": "line"}, headers=laura
    )
    rows = rows_of(response.content)
    assert rows[0] == ["msisdn", "kind", "billing_account", "total"]
    assert rows[1] == [spending_world.mobile, "mobile", spending_world.account, "74,26"]
    assert spending_world.other_number not in response.text


async def test_the_page_draws_stacked_bars_the_estimate_apart_and_tables(client, spending_world):
    await sign_in_web(client, "laura")
    page = await client.get("/spending", params=RANGE, headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert html.count('data-kind="mobile"') == 2 and html.count('data-kind="fixed"') == 2
    assert html.count('data-estimate="true"') == 1
    assert "Spesa" in html and "stima" in html
    assert "125,96\xa0€" in html and "74,26\xa0€" in html  # Italian money
    assert 'href="/api/v1/spending.csv?from=2026-09&amp;to=2026-11&amp;group_by=month"' in html
    assert grouped_number(spending_world.mobile) in html  # "+39 3xx xxx xxxx"
    assert grouped_number(spending_world.other_number) not in html


async def test_the_page_in_english_grouped_by_billing_account(client, spending_world):
    await sign_in_web(client, "laura")
    page = await client.get(
        "/spending", params=RANGE | {"group_by": "billing_account", "lang": "en"}, headers=HTML
    )
    assert page.status_code == 200
    assert "Spending by billing account" in page.text and spending_world.fixed_account in page.text
    assert "€125.96" in page.text


async def test_the_page_shows_a_bad_range_and_the_default_months(client, spending_world):
    await sign_in_web(client, "laura")
    page = await client.get("/spending", params={"from": "2020-01"}, headers=HTML)
    assert page.status_code == 422
    assert 'role="alert"' in page.text and 'data-estimate="true"' in page.text


async def test_the_page_is_for_managers_only(client, spending_world):
    await sign_in_web(client, spending_world.mobile)
    page = await client.get("/spending", headers=HTML)
    assert page.status_code == 403
    home = await client.get("/home", headers=HTML)
    assert 'href="/spending"' not in home.text


async def test_the_avatar_menu_links_spending_and_company_data(client, spending_world):
    await sign_in_web(client, "laura")
    page = await client.get("/spending", headers=HTML)
    assert re.search(r'<a href="/spending">(<svg[^>]*>.*?</svg>)?Spesa</a>', page.text)
    assert re.search(r'<a href="/company">(<svg[^>]*>.*?</svg>)?Dati aziendali</a>', page.text)
