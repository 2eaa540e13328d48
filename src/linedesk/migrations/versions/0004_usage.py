"""usage

Create Date: 2026-11-25 08:48:16.711978
"""

from alembic import op

from linedesk.migrations.builders import (
    big_integer,
    create_table,
    date,
    enum,
    id_column,
    index,
    integer,
    json,
    numeric,
    ref,
    string,
    timestamp,
)

revision = "0004"
down_revision = "0003"

USAGE_TYPE = ("data", "voice", "sms")
DESTINATION = ("national", "eu_roaming", "international", "premium")
ALERT_KIND = (
    "data_80",
    "data_100",
    "voice_80",
    "voice_100",
    "sms_80",
    "sms_100",
    "roaming_data_80",
    "roaming_data_100",
    "low_credit",
    "roaming_first_use",
    "roaming_bill_shock",
)


def upgrade() -> None:
    create_table(
        "daily_usage",
        ref("line_id", "lines"),
        date("day"),
        enum("usage_type", "usage_type", USAGE_TYPE),
        ref("company_id", "companies", index=True),
        big_integer("quantity"),
        numeric("charge", 16, 6),
        primary_key=("line_id", "day", "usage_type"),
    )
    create_table(
        "line_counters",
        ref("line_id", "lines"),
        date("period"),
        ref("company_id", "companies", index=True),
        big_integer("data_bytes"),
        big_integer("voice_seconds"),
        big_integer("sms_count"),
        big_integer("roaming_data_bytes"),
        numeric("charges", 16, 6),
        numeric("roaming_charges", 16, 6),
        integer("roaming_events"),
        timestamp("updated_at"),
        primary_key=("line_id", "period"),
    )
    create_table(
        "prepaid_balances",
        ref("line_id", "lines"),
        ref("company_id", "companies", index=True),
        numeric("balance", 16, 6),
        timestamp("updated_at"),
        primary_key=("line_id",),
    )
    create_table(
        "prepaid_topups",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("line_id", "lines"),
        string("reference", 64),
        numeric("amount", 10, 2),
        timestamp("created_at"),
        unique=["reference"],
    )
    create_table(
        "sent_alerts",
        ref("line_id", "lines"),
        date("period"),
        enum("kind", "alert_kind", ALERT_KIND),
        ref("company_id", "companies", index=True),
        timestamp("sent_at"),
        primary_key=("line_id", "period", "kind"),
    )
    create_table(
        "usage_records",
        id_column(),
        ref("company_id", "companies"),
        ref("line_id", "lines"),
        string("record_id", 64),
        timestamp("started_at"),
        date("period"),
        date("day"),
        enum("usage_type", "usage_type", USAGE_TYPE),
        enum("destination", "destination", DESTINATION),
        big_integer("quantity"),
        big_integer("in_bundle"),
        numeric("charge", 16, 6),
        timestamp("imported_at"),
        index("ix_usage_records_line_id_started_at", "line_id", "started_at"),
        unique=["record_id"],
    )
    create_table(
        "feature_visits",
        ref("user_id", "users"),
        string("feature", 32),
        ref("company_id", "companies", index=True),
        integer("visits"),
        timestamp("last_visit_at"),
        primary_key=("user_id", "feature"),
    )
    create_table(
        "usage_preferences",
        ref("user_id", "users"),
        ref("company_id", "companies", index=True),
        json("alerts_off"),
        ref("widget_line_id", "lines", nullable=True),
        json("pinned_links"),
        timestamp("updated_at"),
        primary_key=("user_id",),
    )


def downgrade() -> None:
    for table in (
        "usage_preferences",
        "feature_visits",
        "usage_records",
        "sent_alerts",
        "prepaid_topups",
        "prepaid_balances",
        "line_counters",
        "daily_usage",
    ):
        op.drop_table(table)
