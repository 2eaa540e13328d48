"""Spending roll-ups: per line and billed month (with running totals), per billing account,
month and line kind (billed, and the current month's estimate), per company, month and kind.
Filled from the invoices and the counters already there, so the trend reads the same figures.

Create Date: 2026-11-30 08:30:00.000000
"""

from alembic import op

from linedesk.migrations.builders import create_table, date, enum, index, integer, numeric, ref

revision = "0009"
down_revision = "0008"

LINE_KIND = ("mobile", "fixed")

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
    create_table(
        "spending_lines",
        ref("line_id", "lines"),
        date("period"),
        ref("company_id", "companies"),
        ref("billing_account_id", "billing_accounts"),
        enum("kind", "line_kind", LINE_KIND),
        numeric("amount", 14, 2),
        numeric("running_total", 14, 2),
        integer("running_months"),
        index("ix_spending_lines_company_id_period", "company_id", "period", "running_total"),
        index("ix_spending_lines_billing_account_id_period", "billing_account_id", "period"),
        primary_key=("line_id", "period"),
    )
    create_table(
        "spending_accounts",
        ref("billing_account_id", "billing_accounts"),
        date("period"),
        enum("kind", "line_kind", LINE_KIND),
        ref("company_id", "companies"),
        numeric("billed", 14, 2, nullable=True),
        numeric("fees", 14, 2, server_default="0"),
        numeric("charges", 16, 6, server_default="0"),
        index("ix_spending_accounts_company_id_period", "company_id", "period"),
        primary_key=("billing_account_id", "period", "kind"),
    )
    create_table(
        "spending_months",
        ref("company_id", "companies"),
        date("period"),
        enum("kind", "line_kind", LINE_KIND),
        numeric("billed", 14, 2),
        primary_key=("company_id", "period", "kind"),
    )
    for statement in (BACKFILL_LINES, BACKFILL_ACCOUNTS, BACKFILL_MONTHS, BACKFILL_CARRIED):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("spending_months")
    op.drop_table("spending_accounts")
    op.drop_table("spending_lines")
