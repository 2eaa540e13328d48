"""identity and audit log

Create Date: 2026-11-25 08:09:19.667417
"""

from alembic import op

from linedesk.migrations.builders import (
    boolean,
    create_table,
    enum,
    id_column,
    index,
    integer,
    json,
    ref,
    string,
    timestamp,
)

revision = "0003"
down_revision = "0002"

PROFILE = ("employee", "user_admin", "telco_manager")
CODE_PURPOSE = (
    "registration",
    "manager_registration",
    "manager_activation",
    "recovery",
    "link_line",
)


def upgrade() -> None:
    create_table(
        "users",
        id_column(),
        ref("company_id", "companies", index=True),
        enum("profile", "profile", PROFILE),
        string("username", 64),
        string("email", 254, nullable=True),
        ref("main_line_id", "lines", nullable=True),
        string("password_hash", 200, nullable=True),
        boolean("must_change_password"),
        string("language", 5),
        string("totp_secret", 64, nullable=True),
        boolean("totp_enabled"),
        ref("created_by_id", "users", nullable=True),
        timestamp("autologin_seen_at", nullable=True),
        timestamp("password_changed_at", nullable=True),
        timestamp("disabled_at", nullable=True),
        timestamp("created_at"),
        unique=["username"],
    )
    create_table(
        "audit_events",
        id_column(),
        ref("company_id", "companies", nullable=True),
        ref("user_id", "users", nullable=True),
        string("action", 64),
        string("subject", 254, nullable=True),
        string("client_ip", 64, nullable=True),
        json("detail"),
        timestamp("created_at"),
        index("ix_audit_events_company_id_created_at", "company_id", "created_at"),
    )
    create_table(
        "auth_sessions",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("user_id", "users", index=True),
        enum("kind", "session_kind", ("web", "app")),
        string("via", 16),
        string("token_digest", 64),
        timestamp("token_expires_at"),
        string("csrf_token", 64, nullable=True),
        ref("active_line_id", "lines", nullable=True),
        timestamp("created_at"),
        timestamp("last_seen_at"),
        timestamp("expires_at"),
        timestamp("revoked_at", nullable=True),
        string("revoked_reason", 32, nullable=True),
        unique=["token_digest"],
    )
    create_table(
        "linked_lines",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("user_id", "users"),
        ref("line_id", "lines"),
        timestamp("linked_at"),
        unique=[("user_id", "line_id")],
    )
    create_table(
        "one_time_codes",
        id_column(),
        string("public_id", 32),
        enum("purpose", "code_purpose", CODE_PURPOSE),
        string("subject", 254),
        string("channel", 8),
        string("destination", 254),
        string("code_digest", 64),
        ref("company_id", "companies", nullable=True),
        ref("user_id", "users", nullable=True),
        json("context"),
        integer("attempts"),
        integer("sends"),
        timestamp("last_sent_at"),
        timestamp("expires_at"),
        timestamp("used_at", nullable=True),
        timestamp("created_at"),
        index("ix_one_time_codes_subject_purpose", "subject", "purpose"),
        unique=["public_id"],
    )
    create_table(
        "refresh_tokens",
        id_column(),
        ref("company_id", "companies"),
        ref("session_id", "auth_sessions", index=True),
        string("token_digest", 64),
        timestamp("created_at"),
        timestamp("used_at", nullable=True),
        unique=["token_digest"],
    )


def downgrade() -> None:
    for table in (
        "refresh_tokens",
        "one_time_codes",
        "linked_lines",
        "auth_sessions",
        "audit_events",
        "users",
    ):
        op.drop_table(table)
