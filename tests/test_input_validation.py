"""Bad input is a 422 in the one error shape, never a 500, and never stored: text with control
characters or line breaks (PostgreSQL cannot store a NUL; a line feed in a name broke its
company's e-mails), integers beyond their column, dates beyond 1900-2099 (which the PostgreSQL
driver stores as -infinity/infinity). Pages show the same refusal as a page."""

import json
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import ONE_LINE_PATTERN
from linedesk.inventory.models import Company, Line, Offer
from tests.factories import company_data, line_data, make_user, make_world, offer_data
from tests.identity.helpers import bearer
from tests.identity.test_web_sessions import HTML, csrf_of, sign_in_web

# What an attacker or a broken client sends: a NUL, other C0/C1 controls, line breaks.
HOSTILE_TEXTS = [
    "Ro\x00ssi",
    "Rossi\nBcc: x@example.it",
    "Rossi\rS.r.l.",
    "Ro\tssi",
    "\x1b[31m",
    "Ro\x7fssi",
    "Ro\x85ssi",
    "Rossi\u2028S.r.l.",
]
PERCENT_NUL = "a%00b"


@pytest.fixture
async def world(session: AsyncSession) -> dict[str, Any]:
    return await make_world(session, lines=2)


@pytest.fixture
async def users(session: AsyncSession, world: dict[str, Any]) -> None:
    """The employee of the first line and a user admin, `laura.admin`."""
    await make_user(session, world)
    await make_user(
        session, world, profile="user_admin", username="laura.admin", email="laura@example.it"
    )


def assert_refused(response: httpx.Response, field: str | None = None) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    if field is not None:
        assert field in [detail["field"] for detail in error["details"]], error


async def _count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- text: JSON bodies ---------------------------------------------------------------------


async def test_a_company_name_with_control_characters_is_refused_and_not_stored(
    backoffice: httpx.AsyncClient, session: AsyncSession
) -> None:
    for text in HOSTILE_TEXTS:
        response = await backoffice.post(
            "/api/v1/backoffice/companies", json=company_data(name=text)
        )
        assert_refused(response, "name")
        assert (
            response.json()["error"]["details"][0]["reason"]
            == "control characters and line breaks are not allowed"
        )
    assert await _count(session, Company) == 0


ANONYMOUS_BODIES = [
    ("/api/v1/auth/login", {"username": "+39347\x001234567", "password": "whatever-it-is"}),
    ("/api/v1/auth/login", {"username": "laura.admin", "password": "Correct-Horse\x00"}),
    ("/api/v1/password-recoveries", {"username": "laura\x00.admin"}),
    ("/api/v1/registrations", {"msisdn": "+39347\x001234567"}),
    (
        "/api/v1/manager-registrations",
        {"vat_number": "0000000\x00001", "billing_account_code": "BA-1"},
    ),
    ("/api/v1/auth/refresh", {"refresh_token": "abc\x00def"}),
]


async def test_nul_in_an_anonymous_json_field_is_a_422(client: httpx.AsyncClient) -> None:
    for path, body in ANONYMOUS_BODIES:
        assert_refused(await client.post(path, json=body))


async def test_nul_in_a_signed_in_json_field_is_a_422(
    client: httpx.AsyncClient, world: dict, users: None
) -> None:
    auth = await bearer(client, world["numbers"][0])
    for method, path, body in [
        ("POST", "/api/v1/me/linked-lines", {"msisdn": "+39347\x001234567"}),
        ("PUT", "/api/v1/me/widget-settings", {"line": "+39\x00", "pinned_links": []}),
        ("PUT", "/api/v1/me/widget-settings", {"pinned_links": ["us\nage"]}),
        ("PUT", "/api/v1/me/password", {"current_password": "x\x00", "new_password": "y" * 14}),
    ]:
        assert_refused(await client.request(method, path, json=body, headers=auth))


async def test_text_with_control_characters_is_refused_in_every_back_office_body(
    backoffice: httpx.AsyncClient, world: dict, session: AsyncSession
) -> None:
    line = line_data(world["account"], world["offer"], holder_name="Giulia\nRossi")
    assert_refused(await backoffice.post("/api/v1/backoffice/lines", json=line), "holder_name")
    offer = offer_data(name="Business\x00")
    assert_refused(await backoffice.post("/api/v1/backoffice/offers", json=offer), "name")
    change = {"address_city": "Bolo\r\ngna"}
    assert_refused(
        await backoffice.patch(
            f"/api/v1/backoffice/billing-accounts/{world['account']}", json=change
        ),
        "address_city",
    )
    top_up = {"amount": "5.00", "reference": "TOP\x00UP"}
    assert_refused(
        await backoffice.post(
            f"/api/v1/backoffice/lines/{world['numbers'][0]}/top-ups", json=top_up
        ),
        "reference",
    )
    assert await _count(session, Line) == 2 and await _count(session, Offer) == 1


async def test_a_usage_record_id_with_a_nul_is_a_row_error(
    backoffice: httpx.AsyncClient, world: dict
) -> None:
    record = {
        "record_id": "r\x001",
        "line": world["numbers"][0],
        "type": "sms",
        "quantity": 1,
        "started_at": "2026-11-02T10:00:00+01:00",
    }
    response = await backoffice.post(
        "/api/v1/backoffice/usage/import",
        content=json.dumps(record) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "record_id" and "control characters" in detail["reason"]


async def test_a_csv_import_with_a_line_feed_in_a_quoted_name_names_the_row(
    backoffice: httpx.AsyncClient, session: AsyncSession
) -> None:
    data = company_data()
    header = ",".join(data)
    row = ",".join(f'"{value}"' for value in (data | {"name": "Rossi\nBcc: x@y.it"}).values())
    response = await backoffice.post(
        "/api/v1/backoffice/companies/import",
        content=f"{header}\n{row}\n",
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["field"] == "name" and detail["row"] == 2
    assert await _count(session, Company) == 0


# --- text: path and query parameters --------------------------------------------------------


async def test_nul_in_an_anonymous_path_is_a_422(client: httpx.AsyncClient) -> None:
    for resource, name in (
        ("password-recoveries", "recovery_id"),
        ("registrations", "registration_id"),
        ("manager-registrations", "registration_id"),
        ("manager-activations", "activation_id"),
    ):
        response = await client.post(f"/api/v1/{resource}/{PERCENT_NUL}/resend")
        assert_refused(response, f"path.{name}")


async def test_nul_in_a_path_or_query_is_a_422_naming_it(
    client: httpx.AsyncClient, world: dict, users: None
) -> None:
    employee = await bearer(client, world["numbers"][0])
    admin = await bearer(client, "laura.admin")
    for path, headers, field in [
        (f"/api/v1/lines/{PERCENT_NUL}/summary", employee, "path.msisdn"),
        (f"/api/v1/widget?line={PERCENT_NUL}", employee, "query.line"),
        (f"/api/v1/company/lines?search={PERCENT_NUL}", admin, "query.search"),
        ("/api/v1/company/lines?offer=%0d%0a", admin, "query.offer"),
        (f"/api/v1/invoices?billing_account={PERCENT_NUL}", admin, "query.billing_account"),
    ]:
        assert_refused(await client.get(path, headers=headers), field)


async def test_nul_in_a_back_office_path_is_a_422(backoffice: httpx.AsyncClient) -> None:
    assert_refused(await backoffice.get(f"/api/v1/backoffice/lines/{PERCENT_NUL}"), "path.msisdn")
    assert_refused(
        await backoffice.patch(
            f"/api/v1/backoffice/billing-accounts/{PERCENT_NUL}", json={"address_city": "Bologna"}
        ),
        "path.code",
    )


# --- text: pages ------------------------------------------------------------------------------


async def test_a_page_form_with_a_nul_shows_the_error_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/login", headers=HTML)
    for path, fields in [
        ("/login", {"username": "a\x00b", "password": "x" * 12}),
        ("/recover", {"username": "a\x00b"}),
        ("/register", {"msisdn": "+39347\x001234567"}),
    ]:
        response = await client.post(
            path, headers=HTML, data={"csrf_token": csrf_of(page.text), **fields}
        )
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("text/html")
        assert "Il testo inviato contiene caratteri di controllo o a capo" in response.text


async def test_a_page_path_with_a_nul_shows_the_error_page(client: httpx.AsyncClient) -> None:
    for path in (
        f"/recover/{PERCENT_NUL}",
        f"/register/{PERCENT_NUL}",
        f"/managers/activate/{PERCENT_NUL}",
        f"/login?next=/{PERCENT_NUL}",
    ):
        response = await client.get(path, headers=HTML | {"Cookie": "lang=en"})
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("text/html")
        assert "Control characters and line breaks are not allowed" in response.text


async def test_a_page_shows_a_validation_error_as_a_page_not_json(
    client: httpx.AsyncClient, world: dict, users: None
) -> None:
    assert (await sign_in_web(client, "laura.admin")).status_code == 303
    for path in ("/invoices/2147483648", "/managers/99999999999999/remove"):
        response = await client.get(path, headers=HTML)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("text/html")
        assert "Richiesta non valida" in response.text


# --- integers ---------------------------------------------------------------------------------


async def test_an_allowance_beyond_its_column_is_refused(
    backoffice: httpx.AsyncClient, session: AsyncSession
) -> None:
    for value in (2**31, 2**40, 10**30, -1):
        for field in ("data_mb", "voice_minutes", "sms", "eu_roaming_data_mb"):
            response = await backoffice.post(
                "/api/v1/backoffice/offers", json=offer_data(**{field: value})
            )
            assert_refused(response, field)
    assert await _count(session, Offer) == 0


async def test_the_largest_allowance_the_column_holds_is_kept(
    backoffice: httpx.AsyncClient,
) -> None:
    response = await backoffice.post(
        "/api/v1/backoffice/offers", json=offer_data(code="BIG", data_mb=2**31 - 1)
    )
    assert response.status_code == 201, response.text
    offer = await backoffice.get("/api/v1/backoffice/offers/BIG")
    assert offer.json()["data_mb"] == 2**31 - 1


async def test_a_push_subscription_expiry_beyond_64_bits_is_refused(
    client: httpx.AsyncClient, world: dict, users: None
) -> None:
    auth = await bearer(client, "laura.admin")
    body = {
        "endpoint": "https://push.example.com/abc",
        "expirationTime": 10**30,
        "keys": {"p256dh": "abcdefghij", "auth": "abcdefghij"},
    }
    assert_refused(
        await client.post("/api/v1/me/push-subscriptions", json=body, headers=auth),
        "expirationTime",
    )


# --- dates ------------------------------------------------------------------------------------


async def test_an_activation_date_outside_1900_2099_is_refused(
    backoffice: httpx.AsyncClient, world: dict, session: AsyncSession
) -> None:
    for day in ("0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01"):
        line = line_data(world["account"], world["offer"], activation_date=day)
        assert_refused(
            await backoffice.post("/api/v1/backoffice/lines", json=line), "activation_date"
        )
    assert await _count(session, Line) == 2


async def test_the_first_and_last_activation_dates_are_stored_as_given(
    backoffice: httpx.AsyncClient, world: dict, session: AsyncSession
) -> None:
    for day in ("1900-01-01", "2099-12-31"):
        line = line_data(world["account"], world["offer"], activation_date=day)
        response = await backoffice.post("/api/v1/backoffice/lines", json=line)
        assert response.status_code == 201, response.text
        stored = await session.scalar(
            select(Line.activation_date).where(Line.msisdn == response.json()["msisdn"])
        )
        assert stored == date.fromisoformat(day)  # not -infinity/infinity


async def test_times_outside_1900_2099_are_refused(
    backoffice: httpx.AsyncClient, client: httpx.AsyncClient, world: dict
) -> None:
    payment = {
        "reference": "R-1",
        "invoice_number": "2026/000001",
        "amount": "1.00",
        "paid_at": "0001-01-01T00:00:00",
    }
    assert_refused(await backoffice.post("/api/v1/backoffice/payments", json=payment), "paid_at")
    record = {
        "record_id": "r-1",
        "line": world["numbers"][0],
        "type": "sms",
        "quantity": 1,
        "started_at": "9999-12-31T23:59:59-01:00",
    }
    response = await backoffice.post(
        "/api/v1/backoffice/usage/import",
        content=json.dumps(record) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "started_at"


async def test_a_usage_range_outside_1900_2099_is_refused(
    client: httpx.AsyncClient, world: dict, users: None
) -> None:
    auth = await bearer(client, world["numbers"][0])
    response = await client.get(
        f"/api/v1/lines/{world['numbers'][0]}/usage",
        params={"from": "0001-01-01", "to": "0001-01-31"},
        headers=auth,
    )
    assert_refused(response, "query.from")


async def test_the_usage_page_refuses_days_outside_1900_2099_as_a_page(
    client: httpx.AsyncClient, world: dict, users: None
) -> None:
    assert (await sign_in_web(client, world["numbers"][0])).status_code == 303
    for days in (
        {"from": "9999-12-25", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-10"},
    ):
        response = await client.get("/usage", params=days, headers=HTML)
        assert response.status_code == 422, response.text
        assert "Scegli giorni tra il 1900 e il 2099" in response.text


# --- the rule, for every field to come ----------------------------------------------------------


def _leaves(
    schema: dict, components: dict, seen: frozenset[str] = frozenset()
) -> list[tuple[str, dict]]:
    """Every scalar of a request body's JSON schema, with its path."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else _leaves(components[name], components, seen | {name})
    out = []
    options = schema.get("anyOf", [])
    if any(option.get("type") == "number" for option in options):
        return []  # a decimal, as a number or a string: pydantic parses it with its bounds
    for option in options:
        out += _leaves(option, components, seen)
    for name, prop in schema.get("properties", {}).items():
        out += [
            (f"{name}.{path}".rstrip("."), leaf) for path, leaf in _leaves(prop, components, seen)
        ]
    if "items" in schema:
        out += _leaves(schema["items"], components, seen)
    if isinstance(schema.get("additionalProperties"), dict):
        out += _leaves(schema["additionalProperties"], components, seen)
    if schema.get("type") in ("string", "integer"):
        out.append(("", schema))
    return out


async def test_every_text_and_integer_of_every_request_body_is_bounded(
    client: httpx.AsyncClient,
) -> None:
    """A text field has the one-line pattern and a length, or a stricter pattern (an
    allow-list), an enum or a checked format; an integer field has both bounds."""
    document = (await client.get("/openapi.json")).json()
    components = document["components"]["schemas"]
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            for field, leaf in _leaves(schema or {}, components):
                if leaf["type"] == "integer":
                    bounded = "minimum" in leaf and "maximum" in leaf
                elif leaf.get("pattern") == ONE_LINE_PATTERN:
                    bounded = "maxLength" in leaf
                else:
                    bounded = bool(
                        leaf.get("enum")
                        or leaf.get("pattern")
                        or leaf.get("format") in ("email", "uri", "date", "date-time")
                    )
                if not bounded:
                    unbounded.append(f"{method.upper()} {path}: {field} {leaf}")
    assert not unbounded, "\n".join(unbounded)
