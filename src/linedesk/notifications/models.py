"""Tables of notifications: what happened (once), who was told in-app, their switches.
The browsers' push subscriptions are the push channel's: `messaging.models.PushSubscription`."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from linedesk.db import Base, UTCDateTime, str_enum
from linedesk.kit.clock import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class NotificationKind(StrEnum):
    invoice_issued = "invoice_issued"
    due_in_7_days = "due_in_7_days"
    due_tomorrow = "due_tomorrow"
    overdue = "overdue"
    billing_account_changed = "billing_account_changed"
    spending_cap_warning = "spending_cap_warning"
    spending_cap_reached = "spending_cap_reached"
    line_blocked = "line_blocked"


class NotificationChannel(StrEnum):
    in_app = "in_app"
    email = "email"
    push = "push"


class NotificationEvent(Base):
    """Something managers are told about. Its unique key (kind and invoice, or one change)
    is claimed with INSERT … ON CONFLICT DO NOTHING, so it is announced once."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "notification_kind"))
    key: Mapped[str] = mapped_column(String(120), unique=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    billing_account_id: Mapped[int | None] = mapped_column(ForeignKey("billing_accounts.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notification(Base):
    """An event in one manager's notification centre; unread until `read_at`."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "notification_kind"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("uq_notifications_user_id_event_id", "user_id", "event_id", unique=True),
    )


class NotificationPreference(Base):
    """A manager's channels for one kind; no row means the defaults (all but push on)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(
        str_enum(NotificationKind, "notification_kind"), primary_key=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    push: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
