"""The segment whose catalogue holds an offer (R-L5: offer changes come from the catalogue of
the company's segment); NULL keeps an offer open to every segment, as all were before.

Create Date: 2026-11-30 13:00:00.000000
"""

from alembic import op

from linedesk.migrations.builders import enum

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    with op.batch_alter_table("offers") as batch_op:
        batch_op.add_column(enum("segment", "segment", ("sme", "large"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch_op:
        batch_op.drop_column("segment")
