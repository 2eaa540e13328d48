"""Counters and daily totals updated in place (issue 14): PostgreSQL pages of line_counters
and daily_usage kept 30 % empty, so that an import's upsert writes the new row version beside
the old one without touching the indexes (a heap-only tuple). Existing pages keep their fill
until they are rewritten (VACUUM FULL, or in time by the updates themselves); SQLite has no
such setting.

Create Date: 2026-11-30 15:30:00.000000
"""

from alembic import op

revision = "0013"
down_revision = "0012"

TABLES = ("line_counters", "daily_usage")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
