"""Tables of identity: users, sessions with their refresh tokens, one-time codes, linked lines."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.kit.clock import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Profile(StrEnum):
    employee = "employee"  # Dipendente
    user_admin = "user_admin"  # Responsabile Aziendale, registered on the portal
    telco_manager = "telco_manager"  # Responsabile Aziendale, created by a user_admin

    @property
    def is_manager(self) -> bool:
        return self is not Profile.employee


class SessionKind(StrEnum):
    web = "web"  # a cookie in a browser
    app = "app"  # bearer tokens in an app or widget


class CodePurpose(StrEnum):
    registration = "registration"
    manager_registration = "manager_registration"
    manager_activation = "manager_activation"
    recovery = "recovery"
    link_line = "link_line"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    profile: Mapped[Profile] = mapped_column(str_enum(Profile, "profile"))
    # An employee's username is their line's number (E.164); a manager's is chosen.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    main_line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(5), default="it")
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The time step of the last TOTP code accepted: that code, and older ones, never again.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    autologin_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A removed manager keeps their row for the audit log, and can no longer sign in.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LinkedLine(Base):
    """A line of the same VAT number that a user follows besides their own (Associa SIM)."""

    __tablename__ = "linked_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "line_id"),)


class AuthSession(Base):
    """A signed-in session. Web sessions hold a cookie token; app sessions an access token
    and a family of rotating refresh tokens. Revoking the session ends them all."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind, "session_kind"))
    via: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    active_line_id: Mapped[int | None] = mapped_column(ForeignKey("lines.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OneTimeCode(Base):
    """A 6-digit code sent by SMS or e-mail, bound to a purpose and a subject (a number or a
    username); stored hashed. Its public id is the registration or recovery id."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose, "code_purpose"))
    subject: Mapped[str] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(254))
    code_digest: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    context: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sends: Mapped[int] = mapped_column(Integer, default=1)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_one_time_codes_subject_purpose", "subject", "purpose"),)
