"""Line actions' extras: the offer history of each line (offer changes from the first of a
month) and the steps a spending cap took in each period.

Create Date: 2026-11-30 08:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

from linedesk.migrations.builders import (
    BigId,
    create_table,
    date,
    id_column,
    index,
    ref,
    string,
    timestamp,
)

revision = "0011"
down_revision = "0010"

# Written by hand, unlike the others: these references are BIGINT on SQLite too.
BIGINT = sa.BigInteger()


def upgrade() -> None:
    create_table(
        "line_offer_changes",
        id_column(),
        ref("company_id", "companies", type_=BIGINT, index=True),
        ref("line_id", "lines", type_=BIGINT),
        ref("offer_id", "offers", type_=BIGINT),
        ref("previous_offer_id", "offers", type_=BIGINT),
        date("effective_from"),
        timestamp("applied_at", nullable=True),
        timestamp("created_at"),
        index(
            "uq_line_offer_changes_line_id_effective_from",
            "line_id",
            "effective_from",
            unique=True,
        ),
        index("ix_line_offer_changes_pending", "effective_from", "applied_at"),
    )
    create_table(
        "spending_cap_steps",
        ref("line_id", "lines", type_=BIGINT),
        date("period"),
        string("step", 32),
        ref("company_id", "companies", type_=BIGINT, index=True),
        sa.Column("request_id", BigId, nullable=True),
        timestamp("at"),
        primary_key=("line_id", "period", "step"),
    )


def downgrade() -> None:
    op.drop_table("spending_cap_steps")
    op.drop_table("line_offer_changes")
