"""Payments of invoices; notifications to managers (events, in-app, preferences, push).

Create Date: 2026-11-25 09:35:18.455694
"""

from alembic import op

from linedesk.migrations.builders import (
    boolean,
    create_table,
    enum,
    id_column,
    index,
    json,
    numeric,
    ref,
    string,
    text,
    timestamp,
)

revision = "0006"
down_revision = "0005"

NOTIFICATION_KIND = (
    "invoice_issued",
    "due_in_7_days",
    "due_tomorrow",
    "overdue",
    "billing_account_changed",
)


def upgrade() -> None:
    create_table(
        "notification_events",
        id_column(),
        ref("company_id", "companies", index=True),
        enum("kind", "notification_kind", NOTIFICATION_KIND),
        string("key", 120),
        ref("invoice_id", "invoices", nullable=True, index=True),
        ref("billing_account_id", "billing_accounts", nullable=True),
        json("params"),
        timestamp("created_at"),
        unique=["key"],
    )
    create_table(
        "payments",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("invoice_id", "invoices", index=True),
        string("reference", 64),
        numeric("amount", 12, 2),
        timestamp("paid_at"),
        timestamp("created_at"),
        unique=["reference"],
    )
    create_table(
        "notification_preferences",
        ref("user_id", "users"),
        enum("kind", "notification_kind", NOTIFICATION_KIND),
        ref("company_id", "companies", index=True),
        boolean("in_app"),
        boolean("email"),
        boolean("push"),
        timestamp("updated_at"),
        primary_key=("user_id", "kind"),
    )
    create_table(
        "notifications",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("user_id", "users"),
        ref("event_id", "notification_events", index=True),
        enum("kind", "notification_kind", NOTIFICATION_KIND),
        json("params"),
        timestamp("created_at"),
        timestamp("read_at", nullable=True),
        index("ix_notifications_user_id_id", "user_id", "id"),
        index("uq_notifications_user_id_event_id", "user_id", "event_id", unique=True),
    )
    create_table(
        "push_subscriptions",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("user_id", "users", index=True),
        text("endpoint"),
        string("endpoint_digest", 64),
        string("p256dh", 200),
        string("auth", 100),
        timestamp("created_at"),
        unique=["endpoint_digest"],
    )


def downgrade() -> None:
    for table in (
        "push_subscriptions",
        "notifications",
        "notification_preferences",
        "payments",
        "notification_events",
    ):
        op.drop_table(table)
