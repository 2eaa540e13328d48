"""Line actions (issue 17): requests to the provisioning system, line controls, the
companies' policies, eSIM activation codes and scheduled offer changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:37:21.320830
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linedesk.db


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "line_policies",
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("employees_switch_roaming", sa.Boolean(), nullable=False),
        sa.Column("updated_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_line_policies_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_line_policies")),
    )
    op.create_table(
        "line_controls",
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("roaming", sa.Boolean(), nullable=False),
        sa.Column("international_calls", sa.Boolean(), nullable=False),
        sa.Column("premium_services", sa.Boolean(), nullable=False),
        sa.Column("mobile_data", sa.Boolean(), nullable=False),
        sa.Column("spending_cap", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("cap_barred", sa.Boolean(), nullable=False),
        sa.Column(
            "block_reason",
            sa.Enum("lost", "stolen", name="block_reason", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("blocked_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_line_controls_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_line_controls_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_line_controls")),
    )
    op.create_index(
        op.f("ix_line_controls_company_id"), "line_controls", ["company_id"], unique=False
    )
    op.create_table(
        "line_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "block",
                "unblock",
                "services",
                "spending_cap",
                "sim_replacement",
                "esim_reissue",
                "offer_change",
                "bar",
                "unbar",
                name="line_request_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "sent",
                "done",
                "failed",
                name="line_request_state",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_line_requests_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_line_requests_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_line_requests_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_requests")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_line_requests_idempotency_key")),
    )
    op.create_index(
        "ix_line_requests_company_id_id", "line_requests", ["company_id", "id"], unique=False
    )
    op.create_index(op.f("ix_line_requests_line_id"), "line_requests", ["line_id"], unique=False)
    op.create_index(
        "ix_line_requests_state_next_attempt_at",
        "line_requests",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "esim_activations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("smdp_address", sa.String(length=255), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("sealed_code", sa.Text(), nullable=True),
        sa.Column("shown_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("invalidated_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_esim_activations_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_esim_activations_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["line_requests.id"],
            name=op.f("fk_esim_activations_request_id_line_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esim_activations")),
        sa.UniqueConstraint("request_id", name=op.f("uq_esim_activations_request_id")),
    )
    op.create_index(
        op.f("ix_esim_activations_line_id"), "esim_activations", ["line_id"], unique=False
    )
    op.create_table(
        "offer_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "to_offer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("applied_at", linedesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", linedesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_offer_changes_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["from_offer_id"], ["offers.id"], name=op.f("fk_offer_changes_from_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_offer_changes_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["line_requests.id"],
            name=op.f("fk_offer_changes_request_id_line_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["to_offer_id"], ["offers.id"], name=op.f("fk_offer_changes_to_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_changes")),
        sa.UniqueConstraint("request_id", name=op.f("uq_offer_changes_request_id")),
    )
    op.create_index(
        "ix_offer_changes_effective_from",
        "offer_changes",
        ["effective_from", "applied_at"],
        unique=False,
    )
    op.create_index(op.f("ix_offer_changes_line_id"), "offer_changes", ["line_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_offer_changes_line_id"), table_name="offer_changes")
    op.drop_index("ix_offer_changes_effective_from", table_name="offer_changes")
    op.drop_table("offer_changes")
    op.drop_index(op.f("ix_esim_activations_line_id"), table_name="esim_activations")
    op.drop_table("esim_activations")
    op.drop_index("ix_line_requests_state_next_attempt_at", table_name="line_requests")
    op.drop_index(op.f("ix_line_requests_line_id"), table_name="line_requests")
    op.drop_index("ix_line_requests_company_id_id", table_name="line_requests")
    op.drop_table("line_requests")
    op.drop_index(op.f("ix_line_controls_company_id"), table_name="line_controls")
    op.drop_table("line_controls")
    op.drop_table("line_policies")
