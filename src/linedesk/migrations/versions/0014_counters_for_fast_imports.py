"""Counters and daily totals written at the speed of the stream (issue 14):

- no foreign keys on line_counters and daily_usage, as 0008 did for usage_records: PostgreSQL
  checked (and key-share locked) the line and the company of every new row, two thirds of
  the cost of an import's daily totals; the import writes only the ids of lines it read in
  the same transaction, and lines and companies are never deleted;
- PostgreSQL pages of both kept 30 % empty, so that an import's upsert writes the new row
  version beside the old one without touching the indexes (a heap-only tuple). Existing
  pages keep their fill until they are rewritten; SQLite has no such setting.

Create Date: 2026-11-30 15:30:00.000000
"""

from alembic import op

revision = "0014"
down_revision = "0013"

TABLES = ("line_counters", "daily_usage")
REFERENCES = (("line_id", "lines"), ("company_id", "companies"))


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column, target in REFERENCES:
                batch_op.drop_constraint(op.f(f"fk_{table}_{column}_{target}"), type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column, target in REFERENCES:
                batch_op.create_foreign_key(
                    op.f(f"fk_{table}_{column}_{target}"), target, [column], ["id"]
                )
