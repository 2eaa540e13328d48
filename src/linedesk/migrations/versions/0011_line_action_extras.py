"""Line actions' extras: the offer history of each line (offer changes from the first of a
month) and the steps a spending cap took in each period.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "line_offer_changes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("previous_offer_id", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_line_offer_changes_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_line_offer_changes_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_line_offer_changes_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["previous_offer_id"],
            ["offers.id"],
            name=op.f("fk_line_offer_changes_previous_offer_id_offers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_offer_changes")),
    )
    op.create_index(op.f("ix_line_offer_changes_company_id"), "line_offer_changes", ["company_id"])
    op.create_index(
        "uq_line_offer_changes_line_id_effective_from",
        "line_offer_changes",
        ["line_id", "effective_from"],
        unique=True,
    )
    op.create_index(
        "ix_line_offer_changes_pending", "line_offer_changes", ["effective_from", "applied_at"]
    )
    op.create_table(
        "spending_cap_steps",
        sa.Column("line_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", BigId, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_spending_cap_steps_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_spending_cap_steps_line_id_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", "period", "step", name=op.f("pk_spending_cap_steps")),
    )
    op.create_index(op.f("ix_spending_cap_steps_company_id"), "spending_cap_steps", ["company_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_spending_cap_steps_company_id"), table_name="spending_cap_steps")
    op.drop_table("spending_cap_steps")
    op.drop_index("ix_line_offer_changes_pending", table_name="line_offer_changes")
    op.drop_index("uq_line_offer_changes_line_id_effective_from", table_name="line_offer_changes")
    op.drop_index(op.f("ix_line_offer_changes_company_id"), table_name="line_offer_changes")
    op.drop_table("line_offer_changes")
