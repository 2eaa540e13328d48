"""The landing page speaks Italian first and English on request, and remembers the choice."""


async def test_italian_by_default(client):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "it"
    assert '<html lang="it">' in response.text
    assert "Le linee della tua azienda, tutte in un posto" in response.text
    assert "1.234,56\xa0€" in response.text


async def test_english_on_request_and_remembered(client):
    response = await client.get("/", params={"lang": "en"})
    assert response.headers["Content-Language"] == "en"
    assert "Your company&#39;s lines, all in one place" in response.text
    assert "€1,234.56" in response.text
    assert response.cookies.get("lang") == "en"
    again = await client.get("/")
    assert again.headers["Content-Language"] == "en"


async def test_an_unknown_language_falls_back_to_italian(client):
    response = await client.get("/", params={"lang": "xx"})
    assert response.headers["Content-Language"] == "it"


def test_every_message_has_an_italian_translation():
    from babel.messages.pofile import read_po

    from linedesk.kit.i18n import LOCALE_DIR

    missing = []
    for po_path in (LOCALE_DIR / "it" / "LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as po:
            missing += [(po_path.name, m.id) for m in read_po(po) if m.id and not m.string]
    assert missing == []


async def test_an_unknown_page_is_a_page_for_a_browser_and_json_for_the_api(client):
    page = await client.get("/nope", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Pagina non trovata" in page.text
    api = await client.get("/api/v1/nope", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


async def test_the_landing_page_leads_to_sign_in_and_registration(client):
    """Not a dead end: the brand link of the sign-in page comes back here."""
    page = await client.get("/", headers={"Accept": "text/html"})
    assert '<a href="/login" class="button primary">Accedi</a>' in page.text
    assert '<a href="/register" class="button">Registrati</a>' in page.text
    english = await client.get("/?lang=en")
    assert ">Sign in</a>" in english.text and ">Register</a>" in english.text
    sign_in = await client.get("/login")
    assert '<a class="brand" href="/">' in sign_in.text
