"""Payments of invoices; notifications to managers (events, in-app, preferences, push).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:35:18.455694
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linedesk.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "invoice_issued",
                "due_in_7_days",
                "due_tomorrow",
                "overdue",
                "billing_account_changed",
                name="notification_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "billing_account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_notification_events_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_notification_events_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_notification_events_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_events")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_events_key")),
    )
    with op.batch_alter_table("notification_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_events_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_events_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "invoice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payments_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invoice_issued",
                "due_in_7_days",
                "due_tomorrow",
                "overdue",
                "billing_account_changed",
                name="notification_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("push", sa.Boolean(), nullable=False),
        sa.Column("updated_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_notification_preferences_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_preferences_company_id"), ["company_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invoice_issued",
                "due_in_7_days",
                "due_tomorrow",
                "overdue",
                "billing_account_changed",
                name="notification_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_notifications_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notification_events.id"],
            name=op.f("fk_notifications_event_id_notification_events"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notifications_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_notifications_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index(
            "uq_notifications_user_id_event_id", ["user_id", "event_id"], unique=True
        )

    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("endpoint_digest", sa.String(length=64), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_push_subscriptions_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_push_subscriptions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint_digest", name=op.f("uq_push_subscriptions_endpoint_digest")),
    )
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_push_subscriptions_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_push_subscriptions_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscriptions_user_id"))
        batch_op.drop_index(batch_op.f("ix_push_subscriptions_company_id"))

    op.drop_table("push_subscriptions")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("uq_notifications_user_id_event_id")
        batch_op.drop_index("ix_notifications_user_id_id")
        batch_op.drop_index(batch_op.f("ix_notifications_event_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_company_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_preferences_company_id"))

    op.drop_table("notification_preferences")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_payments_company_id"))

    op.drop_table("payments")
    with op.batch_alter_table("notification_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_events_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_notification_events_company_id"))

    op.drop_table("notification_events")
