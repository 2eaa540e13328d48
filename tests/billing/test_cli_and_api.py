"""The operator's ways in: `linedesk billing run` and the back-office routes."""

import asyncio

import httpx
import pytest
from lxml import etree
from typer.testing import CliRunner

from linedesk.billing.fatturapa import validate
from linedesk.cli import app
from linedesk.config import get_settings
from tests.billing.conftest import BillingWorld, invoices
from tests.conftest import TEST_SECRET

runner = CliRunner()
RUNS = "/api/v1/backoffice/billing-runs"


@pytest.fixture
def cli_env(monkeypatch, database_url, engine, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINEDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("LINEDESK_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("LINEDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINEDESK_INVOICE_DUE_DAYS", "15")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_cli_bills_a_month_and_running_it_again_issues_nothing(
    cli_env, session, billing_world: BillingWorld
) -> None:  # type: ignore[no-untyped-def]
    first = await asyncio.to_thread(runner.invoke, app, ["billing", "run", "--period", "2026-10"])
    assert first.exit_code == 0, first.output
    assert "invoices issued" in first.output and "98.89 EUR" in first.output
    again = await asyncio.to_thread(runner.invoke, app, ["billing", "run", "--period", "2026-10"])
    assert again.exit_code == 0, again.output
    [invoice] = await invoices(session)
    assert (invoice.due_date - invoice.issue_date).days == 15


async def test_cli_refuses_a_month_that_is_not_a_month(cli_env) -> None:  # type: ignore[no-untyped-def]
    result = await asyncio.to_thread(runner.invoke, app, ["billing", "run", "--period", "2026-13"])
    assert result.exit_code != 0


async def test_backoffice_runs_billing_and_serves_the_xml(
    backoffice: httpx.AsyncClient, billing_world: BillingWorld
) -> None:
    response = await backoffice.post(RUNS, json={"period": "2026-10"})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["issued"], summary["total_amount"], summary["first_number"]) == (
        1,
        "98.89",
        "2026/000001",
    )
    again = await backoffice.post(RUNS, json={"period": "2026-10"})
    assert (again.json()["issued"], again.json()["already_invoiced"]) == (0, 1)

    xml = await backoffice.get("/api/v1/backoffice/invoices/2026/000001/xml")
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    validate(xml.content)
    assert etree.fromstring(xml.content).findtext(".//Numero") == "2026/000001"
    missing = await backoffice.get("/api/v1/backoffice/invoices/2026/000099/xml")
    assert missing.status_code == 404


async def test_backoffice_billing_needs_a_key(client: httpx.AsyncClient) -> None:
    assert (await client.post(RUNS, json={"period": "2026-10"})).status_code == 401
    assert (await client.get("/api/v1/backoffice/invoices/2026/1/xml")).status_code == 401


async def test_backoffice_bills_only_an_ended_month(backoffice: httpx.AsyncClient) -> None:
    assert (await backoffice.post(RUNS, json={"period": "2026-11"})).status_code == 422
    assert (await backoffice.post(RUNS, json={"period": "2026-1"})).status_code == 422
