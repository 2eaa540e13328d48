"""The production guide, the README and the deploy files agree with the code: every setting
documented once with its real default, no variable that does not exist, a compose file whose
environment passes the production checks."""

import re
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml

from linedesk.config import Settings

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "production.md"
README = ROOT / "README.md"
COMPOSE = ROOT / "deploy" / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# Defaults that depend on the mode or the machine, or that are not worth printing.
DESCRIBED_DEFAULTS = {"secret_key", "database_url"}
ROW = re.compile(r"^\| `LINEDESK_([A-Z0-9_]+)`[^|]* \| ([^|]*) \|", re.MULTILINE)


def tool_variables() -> set[str]:
    """LINEDESK_ variables that the tests and benchmarks read for themselves."""
    read = re.compile(r"(?:environ\.get|getenv|environ\[)\(?\s*\"LINEDESK_([A-Z0-9_]+)\"")
    return {
        name
        for folder in ("tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        for name in read.findall(path.read_text(encoding="utf-8"))
    }


def rendered(value: Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, Path):
        return f"`./{value}`"
    if value == "":
        return "empty"
    return f"`{value}`"


def literal_defaults() -> dict[str, str]:
    """The documented form of each default that is a plain value."""
    out = {}
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None or field.default is None or name in DESCRIBED_DEFAULTS:
            continue
        assert isinstance(field.default, str | int | float | Decimal | Enum | Path)
        out[name] = rendered(field.default)
    return out


def table_rows(text: str) -> list[tuple[str, str]]:
    return [(name.lower(), default.strip()) for name, default in ROW.findall(text)]


def environment_table() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## Environment")
    return text[start : text.index("\n## ", start + 1)]


def test_the_guide_lists_every_setting_once_with_its_default() -> None:
    rows = table_rows(environment_table())
    names = [name for name, _ in rows]
    assert sorted(names) == sorted(Settings.model_fields), "table and Settings differ"
    assert len(names) == len(set(names))
    defaults = dict(rows)
    for name, expected in literal_defaults().items():
        assert defaults[name].startswith(expected), (name, defaults[name], expected)


def test_the_readme_tables_agree_with_the_settings() -> None:
    defaults = literal_defaults()
    for name, default in table_rows(README.read_text(encoding="utf-8")):
        assert name in Settings.model_fields, name
        if name in defaults:
            assert default.startswith(defaults[name]), (name, default, defaults[name])


@pytest.mark.parametrize("path", [README, GUIDE, COMPOSE, ENV_EXAMPLE], ids=lambda p: p.name)
def test_every_variable_named_is_a_setting(path: Path) -> None:
    named = set(re.findall(r"LINEDESK_([A-Z][A-Z0-9_]*[A-Z0-9])", path.read_text("utf-8")))
    unknown = {n for n in named - tool_variables() if n.lower() not in Settings.model_fields}
    assert not unknown


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_migrates_before_anything_else_starts() -> None:
    services = compose()["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "api",
        "worker",
        "scheduler",
        "consumer",
        "nats",
    }
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker", "scheduler", "consumer"):
        needs = services[name]["depends_on"]
        assert needs["migrate"] == {"condition": "service_completed_successfully"}, name
    assert services["api"]["command"][:4] == ["serve", "--host", "0.0.0.0", "--port"]
    assert "--workers" in services["api"]["command"]
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["scheduler"]["command"] == ["scheduler"]
    assert services["worker"]["command"][0] == "worker"
    assert services["consumer"]["command"] == ["usage", "consume"]


def _env_file() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {key: value for key, value in pairs}


def test_the_example_environment_passes_the_production_checks_once_filled_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = _env_file()
    filled = {key: value.replace("change-me", "x" * 48) for key, value in example.items()}
    service_env = compose()["services"]["api"]["environment"]
    for key, value in service_env.items():
        filled[key] = re.sub(
            r"\$\{POSTGRES_PASSWORD[^}]*\}", filled["POSTGRES_PASSWORD"], str(value)
        )
    for key, value in filled.items():
        if key.startswith("LINEDESK_"):
            monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.is_production
    assert settings.effective_database_url.startswith("postgresql+asyncpg://linedesk:")
    assert not settings.captures_messages and not settings.simulates_autologin
    assert not settings.runs_embedded_worker and not settings.runs_embedded_scheduler

    monkeypatch.setenv("LINEDESK_SECRET_KEY", example["LINEDESK_SECRET_KEY"])  # "change-me"
    with pytest.raises(ValueError, match="LINEDESK_SECRET_KEY"):
        Settings()
