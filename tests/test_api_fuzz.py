"""The API fuzzed against its own OpenAPI document (schemathesis): every operation, called as
every profile, answers only documented status codes, content types and bodies, and never 500.

Each operation gets a fresh world (an SME with lines, invoices, an employee, a user admin, a
telco manager, and another company); every generated request is sent once per profile.
Operations that can end a session (logout, password change, removing a manager) get the
profiles' tokens minted again before each example, so later examples are not all 401s.

Besides schemathesis' valid and invalid input, a third of the examples are hostile: a valid
request with one value (of the body, the path or the query) replaced by text with a NUL, a
control character or a line break, an integer beyond 64 bits, or a date in year 1 or 9999.

`LINEDESK_FUZZ_EXAMPLES` sets the examples per operation (default 12) for a longer run:
`LINEDESK_FUZZ_EXAMPLES=200 pytest tests/test_api_fuzz.py`."""

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from linedesk.app import api_router, create_app
from linedesk.billing.models import Invoice
from linedesk.billing.service import issue_invoices
from linedesk.config import Settings
from linedesk.identity.models import SessionKind, User
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.service import AuthContext, open_session
from linedesk.kit.clock import FrozenClock
from linedesk.kit.ratelimit import RateLimiter
from linedesk.notifications.service import notify_invoices_issued
from linedesk.ops.api import router as ops_router
from tests.conftest import NOW, TEST_SECRET
from tests.factories import make_user, make_world
from tests.identity.helpers import PASSWORD

PROFILES = ("anonymous", "employee", "user_admin", "telco_manager", "backoffice")
MAX_EXAMPLES = int(os.environ.get("LINEDESK_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BASE_URL = "https://testserver"
CREDENTIAL_HEADERS = {"authorization", "x-api-key"}


def _documented_operations() -> list[tuple[str, str]]:
    """Every operation of the served document, known before any fixture runs."""
    app = FastAPI()
    app.include_router(ops_router)
    app.include_router(api_router())
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]


OPERATIONS = _documented_operations()


@dataclass
class FuzzWorld:
    users: dict[str, int]
    api_key: str
    path_values: dict[str, list[Any]]
    headers: dict[str, dict[str, str]]


async def _fuzz_world(session: AsyncSession, api_key: str, password_hash: str) -> FuzzWorld:
    world = await make_world(session, lines=3)
    other = await make_world(session, name="Bianchi Trasporti S.p.A.", lines=1)
    users = {
        "employee": await make_user(session, world, password_hash=password_hash),
        "user_admin": await make_user(
            session,
            world,
            profile="user_admin",
            username="laura.admin",
            email="laura@example.it",
            password_hash=password_hash,
        ),
        "telco_manager": await make_user(
            session,
            world,
            profile="telco_manager",
            username="marco.telco",
            email="marco@example.it",
            password_hash=password_hash,
        ),
    }
    await issue_invoices(session, NOW, date(2026, 10, 1), on_issued=notify_invoices_issued)
    await session.commit()
    invoices = (await session.scalars(select(Invoice).order_by(Invoice.id))).all()
    path_values: dict[str, list[Any]] = {
        "msisdn": [*world["numbers"], other["numbers"][0]],
        "invoice_id": [invoice.id for invoice in invoices],
        "year": [invoice.year for invoice in invoices],
        "sequence": [invoice.sequence for invoice in invoices],
        "code": [world["account"], world["offer"]],
        "company_id": [world["company_id"], other["company_id"]],
        "manager_id": [users["telco_manager"], users["user_admin"]],
    }
    return FuzzWorld(users, api_key, path_values, {})


async def _sign_in_everyone(session: AsyncSession, settings: Settings, fuzz: FuzzWorld) -> None:
    """A fresh app session per profile, as a sign-in would open (without the argon2 work)."""
    ctx = AuthContext(settings=settings, now=NOW)
    fuzz.headers = {"anonymous": {}, "backoffice": {"X-API-Key": fuzz.api_key}}
    for profile, user_id in fuzz.users.items():
        user = await session.get(User, user_id, populate_existing=True)
        assert user is not None
        issued = await open_session(session, ctx, user, SessionKind.app, "password")
        fuzz.headers[profile] = {"Authorization": f"Bearer {issued.token}"}
    await session.commit()


def _httpx_request(case: schemathesis.Case, auth: dict[str, str]) -> dict[str, Any]:
    """The case as httpx arguments. Schemathesis prepares it for `requests`, so `requests`
    encodes it (JSON, text, multipart), exactly as schemathesis would send it."""
    prepared_kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    assert not prepared_kwargs.pop("cookies", None), "the API documents no cookie parameter"
    headers = {
        name: value
        for name, value in prepared_kwargs.pop("headers").items()
        if name.lower() not in CREDENTIAL_HEADERS
    }  # the profile's, or none
    prepared = requests.Request(headers=headers | auth, **prepared_kwargs).prepare()
    headers = {
        name: value for name, value in prepared.headers.items() if name.lower() != "content-length"
    }
    return {
        "method": prepared.method,
        "url": prepared.url,
        "headers": headers,
        "content": prepared.body,
    }


CONTROL_CHARACTERS = ["\x00", "\n", "\r\n", "\t", "\x1b", "\x7f", "\x85", "\u2028"]
# Letters and digits around it: a "/" or "?" in a path parameter would only change the route.
_AROUND = st.text(st.characters(categories=["L", "Nd"]), max_size=4)
HOSTILE_TEXT = st.builds("".join, st.tuples(_AROUND, st.sampled_from(CONTROL_CHARACTERS), _AROUND))
HUGE_NUMBERS = st.sampled_from([2**31, -(2**31) - 1, 2**40, 2**63, -(2**63) - 1, 10**30, -1])
FAR_DATES = st.sampled_from(
    [
        "0001-01-01",
        "9999-12-31",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "0000-00-00",
    ]
)
HOSTILE = st.one_of(HOSTILE_TEXT, HUGE_NUMBERS, FAR_DATES)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths to every string and number in a case's body, path or query."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, (*path, i))]
    return [path] if isinstance(value, str | int) and not isinstance(value, bool) else []


def _made_hostile(case: schemathesis.Case, data: st.DataObject) -> schemathesis.Case:
    """The case with one of its values replaced by a hostile one."""
    containers = {"body": case.body, "path_parameters": case.path_parameters, "query": case.query}
    leaves = [
        (name, *leaf) for name, value in containers.items() if value for leaf in _leaves(value)
    ]
    if not leaves:
        return case
    where = data.draw(st.sampled_from(leaves))
    if len(where) == 1:  # the whole body is one string (a CSV or NDJSON file)
        case.body = data.draw(HOSTILE_TEXT)
        return case
    hostile = data.draw(HOSTILE)
    target = containers[where[0]]
    for key in where[1:-1]:
        target = target[key]
    target[where[-1]] = hostile
    return case


def _case_strategy(operation: Any, fuzz: FuzzWorld, data: st.DataObject) -> schemathesis.Case:
    """Valid, invalid or hostile input; half the time the path names an object that exists."""
    mode = data.draw(st.sampled_from(["positive", "negative", "hostile"]))
    generation = GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE
    names = {p.name for p in operation.path_parameters}
    known = {
        name: data.draw(st.sampled_from(fuzz.path_values[name]))
        for name in names
        if name in fuzz.path_values
    }
    if known and data.draw(st.booleans()):
        case = data.draw(operation.as_strategy(generation, path_parameters=known))
    else:
        case = data.draw(operation.as_strategy(generation))
    return _made_hostile(case, data) if mode == "hostile" else case


@pytest.fixture(scope="module")
async def fuzz_app(
    engine: AsyncEngine, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    """One app for every operation (making one per test would cost more than the fuzzing);
    each test still gets its own world and its own rate-limit counts."""
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("fuzz"),
        secret_key=TEST_SECRET,
        log_level="WARNING",
    )
    application = create_app(settings, clock=FrozenClock(NOW))
    yield application
    await application.state.limiter.close()
    await application.state.engine.dispose()


@pytest.fixture(scope="module")
async def served_schema(fuzz_app: FastAPI) -> schemathesis.BaseSchema:
    """What the app serves at /openapi.json, as schemathesis reads it."""
    transport = httpx.ASGITransport(app=fuzz_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture(scope="module")
async def password_hash() -> str:
    hasher = PasswordHasher(1)
    try:
        return await hasher.hash(PASSWORD)
    finally:
        hasher.close()


@pytest.fixture
async def fuzz_client(fuzz_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    redis_url = os.environ.get("LINEDESK_TEST_REDIS_URL")
    fuzz_app.state.limiter = (
        RateLimiter(redis_url, key_prefix=f"test-{uuid.uuid4().hex}")
        if redis_url
        else RateLimiter.from_settings(fuzz_app.state.settings)
    )
    transport = httpx.ASGITransport(app=fuzz_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http
    await fuzz_app.state.limiter.close()


@pytest.fixture
async def fuzz_world(
    session: AsyncSession, fuzz_app: FastAPI, api_key: str, password_hash: str
) -> FuzzWorld:
    fuzz = await _fuzz_world(session, api_key, password_hash)
    await _sign_in_everyone(session, fuzz_app.state.settings, fuzz)
    return fuzz


def test_the_fuzzed_operations_are_all_the_documented_ones(
    served_schema: schemathesis.BaseSchema,
) -> None:
    paths = served_schema.raw_schema["paths"]
    served = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert served == set(OPERATIONS)


settings_for_fuzzing = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    # The world is made once per operation, on purpose: examples share it.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@settings_for_fuzzing
@given(data=st.data())
async def test_operation_answers_as_documented(
    method: str,
    path: str,
    served_schema: schemathesis.BaseSchema,
    fuzz_app: FastAPI,
    fuzz_client: httpx.AsyncClient,
    session: AsyncSession,
    fuzz_world: FuzzWorld,
    data: st.DataObject,
) -> None:
    operation = served_schema[path][method]
    case = _case_strategy(operation, fuzz_world, data)
    if method != "GET":  # it may have ended sessions (logout, password, managers)
        await _sign_in_everyone(session, fuzz_app.state.settings, fuzz_world)
    failures = []
    for profile in PROFILES:
        response = await fuzz_client.request(**_httpx_request(case, fuzz_world.headers[profile]))
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as exc:
            failures.append(f"as {profile}: {exc.message}")
    assert not failures, "\n".join(failures)


# --- what the fuzzing found, pinned --------------------------------------------------------


def test_every_api_operation_documents_the_error_shape(
    served_schema: schemathesis.BaseSchema,
) -> None:
    for path, operations in served_schema.raw_schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            for status in ("401", "403", "404", "409", "422", "429", "503"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}, (
                    method,
                    path,
                    status,
                )


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "1899-12"])
async def test_a_billing_run_for_an_impossible_month_is_refused(
    backoffice: httpx.AsyncClient, period: str
) -> None:
    response = await backoffice.post("/api/v1/backoffice/billing-runs", json={"period": period})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_usage_file_of_blank_lines_is_refused_as_empty(
    backoffice: httpx.AsyncClient,
) -> None:
    response = await backoffice.post(
        "/api/v1/backoffice/usage/import", content=b"\n\n \n", headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "bad_file"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/backoffice/companies/9223372036854775808",
        "/api/v1/backoffice/lines?company_id=2147483648",
        "/api/v1/backoffice/invoices/0/1/xml",
    ],
)
async def test_an_id_beyond_what_the_database_stores_is_refused(
    backoffice: httpx.AsyncClient, path: str
) -> None:
    response = await backoffice.get(path)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
