"""inventory and api keys

Create Date: 2026-11-25 07:58:04.515387
"""

import sqlalchemy as sa
from alembic import op

from linedesk.migrations.builders import (
    boolean,
    create_table,
    date,
    enum,
    id_column,
    index,
    integer,
    numeric,
    ref,
    string,
    timestamp,
)

revision = "0001"
down_revision = None

LINE_KIND = ("mobile", "fixed")


def _address() -> list[sa.Column]:
    return [
        string("address_street", 200),
        string("address_postal_code", 5),
        string("address_city", 100),
        string("address_province", 2),
    ]


def upgrade() -> None:
    create_table(
        "api_keys",
        id_column(),
        string("name", 100),
        string("key_digest", 64),
        timestamp("created_at"),
        timestamp("revoked_at", nullable=True),
        timestamp("last_used_at", nullable=True),
        unique=["key_digest", "name"],
    )
    create_table(
        "companies",
        id_column(),
        string("name", 200),
        string("vat_number", 11),
        string("fiscal_code", 16),
        enum("segment", "segment", ("sme", "large")),
        *_address(),
        string("contact_email", 254),
        string("sdi_code", 7, nullable=True),
        string("pec", 254, nullable=True),
        timestamp("created_at"),
        sa.CheckConstraint(
            "sdi_code IS NOT NULL OR pec IS NOT NULL", name=op.f("ck_companies_sdi_or_pec")
        ),
        unique=["vat_number"],
    )
    create_table(
        "offers",
        id_column(),
        string("code", 32),
        string("name", 100),
        enum("kind", "line_kind", LINE_KIND),
        numeric("monthly_fee", 10, 2),
        integer("data_mb", nullable=True),
        integer("voice_minutes", nullable=True),
        integer("sms", nullable=True),
        integer("eu_roaming_data_mb", nullable=True),
        numeric("rate_data_per_mb", 10, 4),
        numeric("rate_voice_per_minute", 10, 4),
        numeric("rate_sms", 10, 4),
        timestamp("created_at"),
        sa.CheckConstraint("monthly_fee >= 0", name=op.f("ck_offers_fee_not_negative")),
        unique=["code"],
    )
    create_table(
        "billing_accounts",
        id_column(),
        ref("company_id", "companies", index=True),
        string("code", 32),
        enum("payment_method", "payment_method", ("sepa_direct_debit", "bank_transfer")),
        string("iban", 34, nullable=True),
        *_address(),
        string("invoice_email", 254),
        timestamp("created_at"),
        unique=["code"],
    )
    create_table(
        "lines",
        id_column(),
        ref("company_id", "companies"),
        ref("billing_account_id", "billing_accounts", index=True),
        ref("offer_id", "offers", index=True),
        string("msisdn", 16),
        enum("kind", "line_kind", LINE_KIND),
        enum("status", "line_status", ("active", "suspended", "ceased")),
        enum("payment_mode", "payment_mode", ("postpaid", "prepaid")),
        date("activation_date"),
        string("holder_name", 200, nullable=True),
        timestamp("created_at"),
        index("ix_lines_company_id_kind_status", "company_id", "kind", "status"),
        unique=["msisdn"],
    )
    create_table(
        "sims",
        id_column(),
        ref("company_id", "companies", index=True),
        ref("line_id", "lines"),
        string("iccid", 20),
        string("puk_hash", 64),
        boolean("data_only"),
        timestamp("installed_at"),
        timestamp("replaced_at", nullable=True),
        index("uq_sims_line_id_current", "line_id", unique=True, where="replaced_at IS NULL"),
        unique=["iccid"],
    )


def downgrade() -> None:
    for table in ("sims", "lines", "billing_accounts", "offers", "companies", "api_keys"):
        op.drop_table(table)
