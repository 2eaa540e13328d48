"""One typed settings class, read from LINEDESK_* environment variables."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "development-only-secret-key-change-me"


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINEDESK_", extra="ignore")

    env: Environment = Environment.development
    data_dir: Path = Field(default=Path("linedesk-data"))
    database_url: str = ""
    secret_key: str = DEV_SECRET_KEY
    log_level: str = "INFO"
    log_json: bool | None = None
    default_language: str = "it"
    demo_on_first_start: bool = True
    api_page_limit_max: int = 500

    @model_validator(mode="after")
    def _refuse_development_defaults(self) -> Self:
        if self.env is Environment.production:
            problems = []
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                problems.append("LINEDESK_SECRET_KEY must be a random value of 32+ characters")
            if not self.database_url or self.database_url.startswith("sqlite"):
                problems.append("LINEDESK_DATABASE_URL must point to PostgreSQL")
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'linedesk.sqlite3').resolve()}"

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json


@lru_cache
def get_settings() -> Settings:
    return Settings()
