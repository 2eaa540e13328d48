"""usage_records keyed by their record id (issue 14): the surrogate `id` went, and with it a
sequence value and an index entry per record, a quarter of the cost of the import's insert on
PostgreSQL. `record_id` was already unique and is what the import and the readers use.

Create Date: 2026-12-01 08:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

from linedesk.migrations.builders import BigId

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    with op.batch_alter_table("usage_records") as batch_op:
        batch_op.drop_constraint("uq_usage_records_record_id", type_="unique")
        batch_op.drop_constraint("pk_usage_records", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_usage_records", ["record_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the records there are numbered again
        op.execute(
            "ALTER TABLE usage_records DROP CONSTRAINT pk_usage_records, "
            "ADD COLUMN id bigserial, ADD CONSTRAINT pk_usage_records PRIMARY KEY (id), "
            "ADD CONSTRAINT uq_usage_records_record_id UNIQUE (record_id)"
        )
        return
    with op.batch_alter_table("usage_records") as batch_op:
        batch_op.drop_constraint("pk_usage_records", type_="primary")
        batch_op.add_column(sa.Column("id", BigId, nullable=False))
        batch_op.create_primary_key("pk_usage_records", ["id"])
        batch_op.create_unique_constraint("uq_usage_records_record_id", ["record_id"])
