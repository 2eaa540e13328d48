"""E-mailed links follow `linedesk serve --host/--port` in development; in production (or when
LINEDESK_PUBLIC_URL is set) they come from the setting."""

import pytest

from linedesk.cli.serve import served_public_url
from linedesk.config import Settings, get_settings
from tests.conftest import TEST_SECRET


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LINEDESK_PUBLIC_URL", raising=False)
    monkeypatch.delenv("LINEDESK_ENV", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_in_development_links_follow_the_served_port(environment) -> None:  # type: ignore[no-untyped-def]
    assert served_public_url(Settings(), "127.0.0.1", 8101) == "http://127.0.0.1:8101"
    assert get_settings().public_url == "http://127.0.0.1:8101"  # what the app reads
    environment.delenv("LINEDESK_PUBLIC_URL")
    assert served_public_url(Settings(), "0.0.0.0", 8102) == "http://127.0.0.1:8102"


def test_a_configured_public_url_wins(environment) -> None:  # type: ignore[no-untyped-def]
    environment.setenv("LINEDESK_PUBLIC_URL", "https://selfcare.example.it")
    assert served_public_url(Settings(), "127.0.0.1", 8101) == "https://selfcare.example.it"
    assert get_settings().public_url == "https://selfcare.example.it"


def test_in_production_the_setting_is_used(environment) -> None:  # type: ignore[no-untyped-def]
    production = Settings(
        env="production",
        secret_key=TEST_SECRET,
        database_url="postgresql+asyncpg://db/linedesk",
        redis_url="redis://localhost:6379/0",
        autologin_simulator=False,
        messaging_capture=False,
    )
    assert served_public_url(production, "0.0.0.0", 8101) == "http://127.0.0.1:8000"
    import os

    assert "LINEDESK_PUBLIC_URL" not in os.environ
