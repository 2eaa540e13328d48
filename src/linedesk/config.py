"""One typed settings class, read from LINEDESK_* environment variables."""

import hashlib
import json
import os
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from linedesk.kit.tax_ids import normalize_vat_number

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
    # /metrics, and the API's description (/docs, /redoc, /openapi.json); unset means served
    # in development, not in production (turn on behind a proxy that limits who reaches them).
    serve_metrics: bool | None = None
    serve_api_docs: bool | None = None

    # Messaging (SPEC §6). Capture keeps every message in the development mailbox;
    # unset means on in development, off in production.
    messaging_capture: bool | None = None
    outbox_embedded_worker: bool | None = None
    # The daily jobs (due dates) in the web process; unset means on in development.
    scheduler_embedded: bool | None = None
    outbox_max_attempts: int = 8
    outbox_lease_seconds: int = 300
    outbox_batch_size: int = 50
    outbox_backoff_seconds: float = 30.0
    outbox_backoff_max_seconds: float = 3600.0
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    # A PEM file of CAs trusted for the SMTP server, besides the system store (private CAs).
    smtp_ca_file: str = ""
    smtp_from: str = "linedesk <no-reply@localhost>"
    smpp_host: str = ""
    smpp_port: int = 2775
    smpp_system_id: str = ""
    smpp_password: str = ""
    smpp_system_type: str = ""
    smpp_source_addr: str = "linedesk"
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:admin@localhost"

    # Sessions (SPEC R-A9): app access tokens are short-lived; refresh tokens rotate.
    access_token_minutes: int = 15
    app_session_idle_days: int = 30
    app_session_absolute_days: int = 90
    web_session_idle_minutes: int = 30
    web_session_absolute_hours: int = 12
    session_cookie_name: str = "__Host-linedesk"
    public_url: str = "http://127.0.0.1:8000"
    # Development: a clearly labelled autologin simulator (never in production).
    autologin_simulator: bool | None = None

    # Signing in (SPEC §3). Rate limits count in memory unless Redis is configured.
    redis_url: str = ""
    # Password hashing is bounded: at most this many argon2id hashes at once (default: all
    # cores but one, so request handling always has a core) and this many waiting; more
    # sign-ins at once are refused at once with 503 instead of queueing (a flood cannot
    # starve the server).
    password_hash_concurrency: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 2) - 1), ge=1
    )
    password_hash_queue: int = Field(default=8, ge=0)
    # Autologin: only these ranges may vouch for a number; empty trusts nobody.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    autologin_gateway_ranges: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    autologin_header: str = "X-MSISDN"
    autologin_hmac_key: str = ""
    autologin_max_skew_seconds: int = Field(default=60, ge=0)

    # Uploads read whole (the inventory and payments CSV imports) are refused past this many
    # bytes with 413, before they are read; the streamed usage import has no total limit.
    upload_max_bytes: int = Field(default=8_000_000, ge=1024)

    # Usage alerts (SPEC R-U4), in EUR: a prepaid credit at or below the first, and EU-roaming
    # charges in a period above the second, are told to the line once per period.
    low_credit_threshold: Decimal = Field(default=Decimal("2.00"), ge=0)
    roaming_charge_alert: Decimal = Field(default=Decimal("20.00"), ge=0)

    # The usage stream (issue 14): `linedesk usage consume` reads records from NATS JetStream
    # (empty URL: no stream). A batch commits at `usage_batch_records` records or after
    # `usage_batch_ms`, whichever comes first; malformed messages go to the dead-letter subject.
    nats_url: str = ""
    usage_stream: str = "USAGE"
    usage_subject: str = "usage.records"
    usage_dead_letter_subject: str = "usage.dead"
    usage_durable: str = "linedesk-usage"
    usage_batch_records: int = Field(default=10_000, ge=1, le=1_000_000)
    usage_batch_ms: int = Field(default=200, ge=1, le=60_000)
    # The embedded demo's live usage: a generator feeds the demo lines through the same batch
    # code (an in-process stream); unset means on in the embedded mode (SQLite, development).
    demo_live_usage: bool | None = None

    # Billing (SPEC R-M1): days from the issue date to the due date, and the operator as it
    # appears on invoices (CedentePrestatore of the FatturaPA XML).
    invoice_due_days: int = Field(default=30, ge=0, le=365)
    operator_name: str = "Linedesk Telecomunicazioni S.p.A."
    operator_vat_number: str = "08488120968"
    operator_address_street: str = "Via Santa Radegonda 11"
    operator_address_postal_code: str = "20121"
    operator_address_city: str = "Milano"
    operator_address_province: str = "MI"
    operator_rea_office: str = "MI"
    operator_rea_number: str = "2029733"
    operator_regime_fiscale: str = "RF01"
    # Where customers paying by bank transfer send the money.
    operator_iban: str = "IT80X0306909606100000123456"

    # Line actions (SPEC §8b, R-L6): requests go to the operator's provisioning system as an
    # HTTP POST signed with HMAC-SHA256 (never logged), retried with back-off on 5xx and
    # timeouts; its result comes back to the signed callback. Empty URL: nothing is sent
    # unless the simulator (unset: on in development) completes requests in-process.
    provisioning_url: str = ""
    provisioning_hmac_secret: SecretStr | None = None
    provisioning_simulator: bool | None = None
    provisioning_simulator_delay_seconds: float = Field(default=1.0, ge=0, le=60)
    provisioning_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    provisioning_max_attempts: int = Field(default=10, ge=1)
    provisioning_backoff_seconds: float = Field(default=2.0, ge=0)
    provisioning_backoff_max_seconds: float = Field(default=300.0, ge=0)
    provisioning_poll_seconds: float = Field(default=0.2, gt=0, le=60)
    provisioning_embedded_worker: bool | None = None
    # A signed callback older or newer than this is refused (a replay).
    provisioning_callback_max_skew_seconds: int = Field(default=300, ge=1)
    # eSIM: the SM-DP+ the simulator names in activation codes.
    esim_smdp_address: str = "smdp.linedesk.example"

    @field_validator("operator_vat_number")
    @classmethod
    def _valid_vat_number(cls, value: str) -> str:
        return normalize_vat_number(value)

    @field_validator("trusted_proxies", "autologin_gateway_ranges", mode="before")
    @classmethod
    def _split_cidrs(cls, value: Any) -> Any:
        # "10.0.0.0/8, 192.168.1.0/24" from the environment, or a JSON list.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_development_defaults(self) -> Self:
        if self.env is Environment.production:
            problems = []
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                problems.append("LINEDESK_SECRET_KEY must be a random value of 32+ characters")
            if not self.database_url or self.database_url.startswith("sqlite"):
                problems.append("LINEDESK_DATABASE_URL must point to PostgreSQL")
            if self.autologin_simulator:
                problems.append("LINEDESK_AUTOLOGIN_SIMULATOR must be off (development only)")
            if self.messaging_capture:
                problems.append("LINEDESK_MESSAGING_CAPTURE must be false (development only)")
            if self.provisioning_simulator:
                problems.append("LINEDESK_PROVISIONING_SIMULATOR must be off (development only)")
            secret = self.provisioning_hmac_secret
            if self.provisioning_url and (secret is None or len(secret) < 32):
                problems.append("LINEDESK_PROVISIONING_HMAC_SECRET must be 32+ characters")
            if not self.redis_url:
                problems.append("LINEDESK_REDIS_URL must be set (rate limits shared by processes)")
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    def _outside_production(self, switch: bool | None) -> bool:
        """A development convenience's switch: unset, it is on everywhere but production."""
        return not self.is_production if switch is None else switch

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'linedesk.sqlite3').resolve()}"

    @property
    def simulates_autologin(self) -> bool:
        return self._outside_production(self.autologin_simulator)

    @property
    def captures_messages(self) -> bool:
        return self._outside_production(self.messaging_capture)

    @property
    def runs_embedded_worker(self) -> bool:
        return self._outside_production(self.outbox_embedded_worker)

    @property
    def runs_embedded_scheduler(self) -> bool:
        return self._outside_production(self.scheduler_embedded)

    @property
    def simulates_provisioning(self) -> bool:
        return self._outside_production(self.provisioning_simulator)

    @property
    def runs_provisioning_worker(self) -> bool:
        if self.provisioning_embedded_worker is None:
            return self.runs_embedded_worker
        return self.provisioning_embedded_worker

    @property
    def provisioning_key(self) -> bytes:
        """The HMAC key shared with the provisioning system; in development without one, a
        key derived from the secret key (the simulator holds the same)."""
        secret = self.provisioning_hmac_secret
        if secret is not None and secret.get_secret_value():
            return secret.get_secret_value().encode()
        return hashlib.sha256(f"provisioning:{self.secret_key}".encode()).digest()

    @property
    def serves_metrics(self) -> bool:
        return self._outside_production(self.serve_metrics)

    @property
    def serves_api_docs(self) -> bool:
        return self._outside_production(self.serve_api_docs)

    @property
    def runs_demo_live_usage(self) -> bool:
        if self.demo_live_usage is None:
            return not self.is_production and self.effective_database_url.startswith("sqlite")
        return self.demo_live_usage

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json


@lru_cache
def get_settings() -> Settings:
    return Settings()
