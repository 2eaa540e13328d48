"""Tables of messaging: the outbox, the development mailbox, the browsers' push
subscriptions."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.kit.clock import utcnow


class Channel(StrEnum):
    sms = "sms"
    email = "email"
    push = "push"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class OutboxMessage(Base):
    """A message to deliver, written in the transaction of the change that causes it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Messages to prospects (before registration) may have no company yet.
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "message_channel"))
    # An e-mail address, an MSISDN, or a Web Push subscription as JSON.
    recipient: Mapped[str] = mapped_column(Text())
    template: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    # References ({"kind": ..., ...}) resolved by the worker, never the bytes themselves.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON(), default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )


class CapturedMessage(Base):
    """What a channel would have sent, kept by the development mailbox."""

    __tablename__ = "captured_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "message_channel"))
    recipient: Mapped[str] = mapped_column(Text())
    subject: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text())
    html: Mapped[str | None] = mapped_column(Text())
    # [{"filename", "content_type", "size"}]: what was attached, not the bytes.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON(), default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class PushSubscription(Base):
    """A browser's Web Push subscription (the PushSubscription JSON), one per endpoint: the
    push channel's recipients, for managers' notifications and employees' usage alerts."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(Text())
    endpoint_digest: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
