"""usage_records without foreign keys: the import's insert no longer checks and locks the line
and the company of every record (the import writes only lines it has just read).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 07:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_usage_records_company_id_companies"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_usage_records_line_id_lines"), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_usage_records_company_id_companies"), "companies", ["company_id"], ["id"]
        )
        batch_op.create_foreign_key(
            op.f("fk_usage_records_line_id_lines"), "lines", ["line_id"], ["id"]
        )
