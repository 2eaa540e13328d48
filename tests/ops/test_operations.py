"""Health, readiness, metrics, request ids, OpenAPI, the one error shape."""


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_readyz_is_503_when_the_database_is_unreachable(client, app):
    from linedesk.db import create_engine

    await app.state.engine.dispose()
    app.state.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_ready"


async def test_metrics_count_requests_by_route(client):
    await client.get("/healthz")
    body = (await client.get("/metrics")).text
    assert 'linedesk_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert "linedesk_http_request_duration_seconds_bucket" in body


async def test_every_response_carries_a_request_id(client):
    response = await client.get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\tinjected"})
    assert unsafe.headers["X-Request-ID"] != "bad id\tinjected"


async def test_unknown_paths_and_methods_use_the_error_shape(client):
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    wrong = await client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


async def test_malformed_json_is_a_422_in_the_error_shape(backoffice):
    response = await backoffice.post(
        "/api/v1/backoffice/companies",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_openapi_describes_the_back_office(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/api/v1/backoffice/companies",
        "/api/v1/backoffice/billing-accounts",
        "/api/v1/backoffice/offers",
        "/api/v1/backoffice/lines",
        "/api/v1/backoffice/lines/{msisdn}",
        "/api/v1/backoffice/{resource}/import",
    ):
        assert path in paths, path


async def test_a_request_while_the_database_is_away_answers_503_not_500(client, app, api_key):
    from linedesk.db import create_engine, create_sessionmaker

    away = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app.state.sessionmaker = create_sessionmaker(away)
    try:
        response = await client.get("/api/v1/backoffice/companies", headers={"X-API-Key": api_key})
    finally:
        await away.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "unavailable"


def test_only_a_database_going_away_is_unavailable_not_a_failed_statement():
    from sqlalchemy.exc import DBAPIError, IntegrityError

    from linedesk.errors import database_unavailable

    class Orig(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    assert database_unavailable(DBAPIError("COMMIT", None, Orig("57P01")))  # admin shutdown
    assert database_unavailable(DBAPIError("SELECT 1", None, Orig("57P03")))  # starting up
    assert database_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert not database_unavailable(IntegrityError("INSERT", None, Orig("23505")))
    assert not database_unavailable(ValueError("a bug"))


async def test_a_statement_the_driver_refuses_is_a_bug_not_the_database_away(engine):
    """Too many bind parameters for one query (asyncpg: an InterfaceError past 32,767; SQLite:
    "too many SQL variables" past 250,000 as built here): retrying cannot help, so no 503."""
    import pytest
    from sqlalchemy import bindparam, text
    from sqlalchemy.exc import DBAPIError

    from linedesk.errors import database_unavailable

    statement = text("SELECT 1 WHERE 1 IN :values").bindparams(bindparam("values", expanding=True))
    async with engine.connect() as connection:
        with pytest.raises(DBAPIError) as refused:
            await connection.execute(statement, {"values": list(range(300_000))})
        assert (await connection.scalar(text("SELECT 1"))) == 1  # the connection is fine
    assert not database_unavailable(refused.value)
