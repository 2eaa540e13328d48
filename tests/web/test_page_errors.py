"""A page never answers raw JSON: a wrong value in its address is a page in the user's
language, naming the value as people call it, whatever the browser sends as Accept."""

import pytest

from tests.identity.test_web_sessions import sign_in_web
from tests.invoices.conftest import ADMIN

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(
    ("path", "italian"),
    [
        ("/invoices/abc", "Fattura: deve essere un numero intero"),
        ("/company/lines?offset=-5", "Posizione nell&#39;elenco: deve essere almeno 0"),
        ("/invoices?limit=0", "Risultati per pagina: deve essere almeno 1"),
        ("/managers/xyz/remove", "Responsabile: deve essere un numero intero"),
        ("/audit-log?limit=abc", "Risultati per pagina: deve essere un numero intero"),
    ],
)
async def test_a_bad_value_in_the_address_is_a_page_in_italian(
    client, invoice_world, path, italian
):
    await sign_in_web(client, ADMIN)
    for headers in (BROWSER, {"Accept": "*/*"}, {}):
        page = await client.get(path, headers=headers)
        assert page.status_code == 422
        assert page.headers["content-type"].startswith("text/html"), page.text
        assert italian in page.text
        assert "Input should be" not in page.text
        assert "Richiesta non valida" in page.text


async def test_the_same_page_in_english(client, invoice_world):
    await sign_in_web(client, ADMIN)
    page = await client.get("/company/lines?offset=-5&lang=en")
    assert page.status_code == 422
    assert "Position in the list: must be at least 0" in page.text
    assert '<html lang="en">' in page.text


async def test_the_api_and_a_script_asking_for_json_still_get_json(client, invoice_world):
    await sign_in_web(client, ADMIN)
    page = await client.get("/invoices/abc", headers={"Accept": "application/json"})
    assert page.status_code == 422
    assert page.json()["error"]["code"] == "validation_error"
    api = await client.get("/api/v1/invoices/abc", headers=BROWSER)
    assert api.json()["error"]["details"][0]["field"] == "path.invoice_id"


async def test_spending_names_its_months_in_words(client, invoice_world):
    await sign_in_web(client, ADMIN)
    page = await client.get("/spending?from=xx")
    assert "Il mese iniziale deve essere nel formato AAAA-MM" in page.text
    assert "&#39;from&#39;" not in page.text
    english = await client.get("/spending?to=2026-13&lang=en")
    assert "The last month must be written as YYYY-MM" in english.text
