"""Production refuses development defaults."""

import pytest
from pydantic import ValidationError

from linedesk.config import Settings

PG = "postgresql+asyncpg://linedesk@db/linedesk"
STRONG = "s" * 48


def test_development_needs_nothing():
    settings = Settings(_env_file=None)
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.effective_database_url.endswith("linedesk-data/linedesk.sqlite3")


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"database_url": PG}, "LINEDESK_SECRET_KEY"),
        ({"secret_key": STRONG}, "LINEDESK_DATABASE_URL"),
        (
            {"secret_key": STRONG, "database_url": "sqlite+aiosqlite:///x.db"},
            "LINEDESK_DATABASE_URL",
        ),
    ],
)
def test_production_refuses_development_defaults(overrides, complaint):
    with pytest.raises(ValidationError, match=complaint):
        Settings(env="production", **overrides)


def test_production_with_real_settings_starts(monkeypatch):
    monkeypatch.setenv("LINEDESK_ENV", "production")
    monkeypatch.setenv("LINEDESK_SECRET_KEY", STRONG)
    monkeypatch.setenv("LINEDESK_DATABASE_URL", PG)
    monkeypatch.setenv("LINEDESK_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("LINEDESK_MESSAGING_CAPTURE", "false")
    settings = Settings()
    assert settings.is_production and settings.json_logs


def test_production_refuses_the_autologin_simulator():
    with pytest.raises(ValidationError, match="LINEDESK_AUTOLOGIN_SIMULATOR"):
        Settings(
            env="production",
            secret_key=STRONG,
            database_url=PG,
            redis_url="redis://cache:6379/0",
            autologin_simulator=True,
        )
    production = Settings(
        env="production", secret_key=STRONG, database_url=PG, redis_url="redis://cache:6379/0"
    )
    assert production.simulates_autologin is False
    assert Settings().simulates_autologin is True
