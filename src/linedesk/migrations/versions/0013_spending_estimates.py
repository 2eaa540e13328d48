"""The spending estimate per company, month and line kind: its accounts' estimate summed
(fees, and charges each rounded to the cent per account first), so the trend reads a row per
kind. Filled from the accounts' rows already there. And an index that holds what the lines'
totals over a range read (two months' rows of each line), so they are read from it alone.

Create Date: 2026-11-30 15:30:00.000000
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

from linedesk.migrations.builders import create_table, date, enum, numeric, ref

revision = "0013"
down_revision = "0012"

LINE_KIND = ("mobile", "fixed")
CENT = Decimal("0.01")


def _decimal(value: object) -> Decimal:
    return Decimal(str(value or 0))


def upgrade() -> None:
    op.create_index(
        "ix_spending_lines_company_id_period_line_id",
        "spending_lines",
        ["company_id", "period", "line_id", "running_total", "running_months"],
    )
    create_table(
        "spending_estimates",
        ref("company_id", "companies"),
        date("period"),
        enum("kind", "line_kind", LINE_KIND),
        numeric("fees", 14, 2, server_default="0"),
        numeric("charges", 14, 2, server_default="0"),
        primary_key=("company_id", "period", "kind"),
    )
    # The backfill rounds each account's charges as the trend did (half up, to the cent),
    # in Python: the same figure on both databases.
    sums: dict[tuple[object, object, object], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    for company_id, period, kind, fees, charges in op.get_bind().execute(
        sa.text("SELECT company_id, period, kind, fees, charges FROM spending_accounts")
    ):
        row = sums[company_id, period, kind]
        row[0] += _decimal(fees)
        row[1] += _decimal(charges).quantize(CENT, rounding=ROUND_HALF_UP)
    table = sa.table(
        "spending_estimates",
        sa.column("company_id"),
        sa.column("period"),
        sa.column("kind"),
        sa.column("fees"),
        sa.column("charges"),
    )
    if sums:
        op.bulk_insert(
            table,
            [
                {"company_id": c, "period": p, "kind": k, "fees": fees, "charges": charges}
                for (c, p, k), (fees, charges) in sums.items()
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_spending_lines_company_id_period_line_id", table_name="spending_lines")
    op.drop_table("spending_estimates")
