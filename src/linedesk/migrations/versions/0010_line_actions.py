"""Line actions (issue 17): requests to the provisioning system, line controls, the
companies' policies, eSIM activation codes and scheduled offer changes.

Create Date: 2026-11-30 08:37:21.320830
"""

from alembic import op

from linedesk.migrations.builders import (
    boolean,
    create_table,
    date,
    enum,
    id_column,
    index,
    integer,
    json,
    numeric,
    ref,
    string,
    text,
    timestamp,
)

revision = "0010"
down_revision = "0009"

REQUEST_KIND = (
    "block",
    "unblock",
    "services",
    "spending_cap",
    "sim_replacement",
    "esim_reissue",
    "offer_change",
    "bar",
    "unbar",
)
REQUEST_STATE = ("requested", "sent", "done", "failed")


def upgrade() -> None:
    create_table(
        "line_policies",
        ref("company_id", "companies"),
        boolean("employees_switch_roaming"),
        timestamp("updated_at"),
        primary_key=("company_id",),
    )
    create_table(
        "line_controls",
        ref("line_id", "lines"),
        ref("company_id", "companies", index=True),
        boolean("roaming"),
        boolean("international_calls"),
        boolean("premium_services"),
        boolean("mobile_data"),
        numeric("spending_cap", 10, 2, nullable=True),
        boolean("cap_barred"),
        enum("block_reason", "block_reason", ("lost", "stolen"), nullable=True),
        timestamp("blocked_at", nullable=True),
        timestamp("updated_at"),
        primary_key=("line_id",),
    )
    create_table(
        "line_requests",
        id_column(),
        ref("company_id", "companies"),
        ref("line_id", "lines", index=True),
        enum("kind", "line_request_kind", REQUEST_KIND),
        json("payload"),
        enum("state", "line_request_state", REQUEST_STATE),
        string("reason", 500, nullable=True),
        string("idempotency_key", 64),
        ref("actor_id", "users", nullable=True),
        json("previous"),
        json("result"),
        integer("attempts"),
        timestamp("next_attempt_at"),
        timestamp("claimed_at", nullable=True),
        string("last_error", 500, nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        timestamp("sent_at", nullable=True),
        timestamp("completed_at", nullable=True),
        index("ix_line_requests_company_id_id", "company_id", "id"),
        index("ix_line_requests_state_next_attempt_at", "state", "next_attempt_at"),
        unique=["idempotency_key"],
    )
    create_table(
        "esim_activations",
        id_column(),
        ref("company_id", "companies"),
        ref("line_id", "lines", index=True),
        ref("request_id", "line_requests"),
        string("smdp_address", 255),
        string("code_digest", 64),
        text("sealed_code", nullable=True),
        timestamp("shown_at", nullable=True),
        timestamp("invalidated_at", nullable=True),
        timestamp("created_at"),
        unique=["request_id"],
    )
    create_table(
        "offer_changes",
        id_column(),
        ref("company_id", "companies"),
        ref("line_id", "lines", index=True),
        ref("request_id", "line_requests"),
        ref("from_offer_id", "offers"),
        ref("to_offer_id", "offers"),
        date("effective_from"),
        timestamp("applied_at", nullable=True),
        timestamp("created_at"),
        index("ix_offer_changes_effective_from", "effective_from", "applied_at"),
        unique=["request_id"],
    )


def downgrade() -> None:
    for table in (
        "offer_changes",
        "esim_activations",
        "line_requests",
        "line_controls",
        "line_policies",
    ):
        op.drop_table(table)
