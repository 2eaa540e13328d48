"""usage_records without foreign keys: the import's insert no longer checks and locks the line
and the company of every record (the import writes only lines it has just read).

Create Date: 2026-11-30 07:10:00.000000
"""

from alembic import op

revision = "0008"
down_revision = "0007"


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
