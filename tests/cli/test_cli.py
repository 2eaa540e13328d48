"""The operator's CLI, run as a user would, against the test database."""

from typer.testing import CliRunner

from linedesk.cli import app
from linedesk.config import get_settings
from tests.conftest import TEST_SECRET
from tests.factories import vat

runner = CliRunner()


def test_help_lists_the_command_groups():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("serve", "migrate", "demo", "apikey", "inventory"):
        assert group in result.output


def test_an_api_key_is_printed_once_and_can_be_revoked(cli_env):
    created = runner.invoke(app, ["apikey", "create", "crm-sync"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("ldk_")
    listed = runner.invoke(app, ["apikey", "list"])
    assert "crm-sync" in listed.output and key not in listed.output
    assert runner.invoke(app, ["apikey", "create", "crm-sync"]).exit_code == 1
    assert runner.invoke(app, ["apikey", "revoke", "crm-sync"]).exit_code == 0
    assert runner.invoke(app, ["apikey", "revoke", "nope"]).exit_code == 1


def test_import_reports_bad_rows_and_imports_nothing(cli_env, tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text(
        "name;vat_number;segment;address_street;address_postal_code;address_city;"
        "address_province;contact_email;sdi_code\n"
        f"Uno S.r.l.;{vat()};sme;Via Po 3;10123;Torino;TO;info@uno.it;M5UXCR1\n"
        "Due S.r.l.;12345678901;sme;Via Po 4;10123;Torino;TO;info@due.it;M5UXCR1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["inventory", "import", "companies", str(path)])
    assert result.exit_code == 1
    assert "1 row(s) have errors; nothing was imported" in result.output
    assert "row 3 vat_number" in result.output
    listed = runner.invoke(app, ["inventory", "list", "companies"])
    assert "0 of 0" in listed.output


def test_create_one_and_list_it(cli_env):
    number = vat()
    result = runner.invoke(
        app,
        [
            "inventory",
            "create",
            "companies",
            "name=Tre S.r.l.",
            f"vat_number={number}",
            "segment=large",
            "address_street=Via Po 5",
            "address_postal_code=10123",
            "address_city=Torino",
            "address_province=TO",
            "contact_email=info@tre.it",
            "pec=tre@pec.it",
        ],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["inventory", "list", "companies"])
    assert number in listed.output and "1 of 1" in listed.output


def test_demo_load_then_lines_are_listed(cli_env):
    loaded = runner.invoke(app, ["demo", "load", "--lines", "60", "--seed", "3"])
    assert loaded.exit_code == 0, loaded.output
    assert "60 lines" in loaded.output
    again = runner.invoke(app, ["demo", "load"])
    assert "already loaded" in again.output
    listed = runner.invoke(app, ["inventory", "list", "lines", "--limit", "5"])
    assert "5 of 60" in listed.output


def test_demo_load_on_an_empty_database_creates_the_schema_first(
    monkeypatch, fresh_database_url, tmp_path
):
    monkeypatch.setenv("LINEDESK_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("LINEDESK_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("LINEDESK_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo", "load", "--lines", "40", "--no-usage"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "40 lines" in result.output
