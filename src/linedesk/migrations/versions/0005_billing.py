"""billing

Create Date: 2026-11-25 09:20:20.536505
"""

import sqlalchemy as sa
from alembic import op

from linedesk.migrations.builders import (
    create_table,
    date,
    enum,
    id_column,
    integer,
    numeric,
    ref,
    string,
    timestamp,
)

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    create_table(
        "invoice_sequences",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        integer("last_number"),
        primary_key=("year",),
    )
    create_table(
        "invoices",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("billing_account_id", "billing_accounts"),
        string("number", 20),
        integer("year"),
        integer("sequence"),
        date("period"),
        date("issue_date"),
        date("due_date"),
        enum("status", "invoice_status", ("issued", "paid", "overdue")),
        numeric("taxable_amount", 12, 2),
        numeric("vat_amount", 12, 2),
        numeric("exempt_amount", 12, 2),
        numeric("total_amount", 12, 2),
        string("currency", 3),
        timestamp("created_at"),
        unique=[("billing_account_id", "period"), "number", ("year", "sequence")],
    )
    create_table(
        "invoice_lines",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("invoice_id", "invoices", index=True),
        integer("position"),
        ref("line_id", "lines", nullable=True, index=True),
        string("msisdn", 16, nullable=True),
        string("description", 200),
        enum("kind", "invoice_line_kind", ("fee", "out_of_bundle", "concession_tax")),
        date("start_date"),
        date("end_date"),
        numeric("quantity", 12, 2),
        numeric("unit_price", 12, 2),
        numeric("amount", 12, 2),
        numeric("vat_rate", 5, 2),
        string("vat_nature", 4, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("invoice_sequences")
