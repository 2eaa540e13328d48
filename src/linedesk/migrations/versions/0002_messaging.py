"""messaging

Create Date: 2026-11-25 08:03:11.979890
"""

from alembic import op

from linedesk.migrations.builders import (
    create_table,
    enum,
    id_column,
    index,
    integer,
    json,
    ref,
    string,
    text,
    timestamp,
)

revision = "0002"
down_revision = "0001"

CHANNEL = ("sms", "email", "push")


def upgrade() -> None:
    create_table(
        "captured_messages",
        id_column(),
        enum("channel", "message_channel", CHANNEL),
        text("recipient"),
        string("subject", 500, nullable=True),
        text("text"),
        text("html", nullable=True),
        json("attachments"),
        timestamp("created_at"),
        index(op.f("ix_captured_messages_created_at"), "created_at"),
    )
    create_table(
        "outbox_messages",
        id_column(),
        ref("company_id", "companies", nullable=True, index=True),
        enum("channel", "message_channel", CHANNEL),
        text("recipient"),
        string("template", 100),
        string("language", 5),
        json("payload"),
        json("attachments"),
        enum("status", "outbox_status", ("pending", "sending", "sent", "failed")),
        integer("attempts"),
        timestamp("next_attempt_at"),
        timestamp("claimed_at", nullable=True),
        string("last_error", 500, nullable=True),
        timestamp("created_at"),
        timestamp("sent_at", nullable=True),
        index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )


def downgrade() -> None:
    op.drop_table("outbox_messages")
    op.drop_table("captured_messages")
