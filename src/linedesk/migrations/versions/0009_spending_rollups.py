"""Spending roll-ups: per line and billed month (with running totals), per billing account,
month and line kind (billed, and the current month's estimate), per company, month and kind.
Filled from the invoices and the counters already there, so the trend reads the same figures.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KIND = sa.Enum("mobile", "fixed", name="line_kind", native_enum=False, length=32)
BILLED = sa.Numeric(precision=14, scale=2)

# The backfill: what the billing run would have written for the invoices already issued.
BACKFILL_LINES = """
INSERT INTO spending_lines (line_id, period, company_id, billing_account_id, kind, amount,
                            running_total, running_months)
SELECT line_id, period, company_id, billing_account_id, kind, amount,
       sum(amount) OVER (PARTITION BY line_id ORDER BY period),
       count(*) OVER (PARTITION BY line_id ORDER BY period)
FROM (SELECT il.line_id, i.period, i.company_id, i.billing_account_id, l.kind,
             sum(il.amount) AS amount
      FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id
      JOIN lines l ON l.id = il.line_id
      GROUP BY il.line_id, i.period, i.company_id, i.billing_account_id, l.kind) billed
"""
# A line no longer billed keeps a row, amount 0, in every later billed month of its company.
BACKFILL_CARRIED = """
INSERT INTO spending_lines (line_id, period, company_id, billing_account_id, kind, amount,
                            running_total, running_months)
SELECT s.line_id, p.period, s.company_id, s.billing_account_id, s.kind, 0, s.running_total,
       s.running_months
FROM spending_lines s
JOIN (SELECT DISTINCT company_id, period FROM invoices) p
  ON p.company_id = s.company_id AND p.period > s.period
WHERE s.period = (SELECT max(x.period) FROM spending_lines x WHERE x.line_id = s.line_id)
"""
BACKFILL_ACCOUNTS = """
INSERT INTO spending_accounts (billing_account_id, period, kind, company_id, billed, fees,
                               charges)
SELECT billing_account_id, period, kind, company_id, sum(amount), 0, 0
FROM spending_lines GROUP BY billing_account_id, period, kind, company_id
"""
BACKFILL_MONTHS = """
INSERT INTO spending_months (company_id, period, kind, billed)
SELECT company_id, period, kind, sum(billed) FROM spending_accounts
GROUP BY company_id, period, kind
"""


def upgrade() -> None:
    op.create_table(
        "spending_lines",
        sa.Column("line_id", BigId, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("company_id", BigId, nullable=False),
        sa.Column("billing_account_id", BigId, nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("amount", BILLED, nullable=False),
        sa.Column("running_total", BILLED, nullable=False),
        sa.Column("running_months", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["lines.id"], name=op.f("fk_spending_lines_line_id_lines")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_spending_lines_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_spending_lines_billing_account_id_billing_accounts"),
        ),
        sa.PrimaryKeyConstraint("line_id", "period", name=op.f("pk_spending_lines")),
    )
    with op.batch_alter_table("spending_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spending_lines_company_id_period",
            ["company_id", "period", "running_total"],
            unique=False,
        )
        batch_op.create_index(
            "ix_spending_lines_billing_account_id_period", ["billing_account_id", "period"]
        )
    op.create_table(
        "spending_accounts",
        sa.Column("billing_account_id", BigId, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("company_id", BigId, nullable=False),
        sa.Column("billed", BILLED, nullable=True),
        sa.Column("fees", BILLED, server_default="0", nullable=False),
        sa.Column("charges", sa.Numeric(precision=16, scale=6), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_spending_accounts_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_spending_accounts_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint(
            "billing_account_id", "period", "kind", name=op.f("pk_spending_accounts")
        ),
    )
    with op.batch_alter_table("spending_accounts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spending_accounts_company_id_period", ["company_id", "period"], unique=False
        )
    op.create_table(
        "spending_months",
        sa.Column("company_id", BigId, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("billed", BILLED, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_spending_months_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "period", "kind", name=op.f("pk_spending_months")),
    )
    for statement in (BACKFILL_LINES, BACKFILL_ACCOUNTS, BACKFILL_MONTHS, BACKFILL_CARRIED):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("spending_months")
    with op.batch_alter_table("spending_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_spending_accounts_company_id_period")
    op.drop_table("spending_accounts")
    with op.batch_alter_table("spending_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_spending_lines_billing_account_id_period")
        batch_op.drop_index("ix_spending_lines_company_id_period")
    op.drop_table("spending_lines")
