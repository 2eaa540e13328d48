"""Request/response models of notifications."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, HttpUrl, StringConstraints

from linedesk.kit.schemas import BigCount, CreateSchema, Schema
from linedesk.notifications.models import NotificationKind


class NotificationRead(Schema):
    id: int
    kind: NotificationKind
    title: str = Field(description="in the caller's language")
    body: str
    params: dict[str, Any] = Field(description="the facts: invoice number, total, due date…")
    created_at: datetime
    read_at: datetime | None


class UnreadCount(Schema):
    unread: int


class MarkedRead(Schema):
    marked: int
    unread: int


class ChannelSwitches(Schema):
    in_app: bool
    email: bool
    push: bool


class ChannelChanges(CreateSchema):
    """Only the channels given change."""

    in_app: bool | None = None
    email: bool | None = None
    push: bool | None = None


NotificationPreferences = dict[NotificationKind, ChannelSwitches]
PreferenceChanges = dict[NotificationKind, ChannelChanges]

Base64Url = Annotated[
    str, StringConstraints(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_=-]+$")
]


class PushKeys(CreateSchema):
    p256dh: Base64Url
    auth: Annotated[
        str, StringConstraints(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_=-]+$")
    ]


class PushSubscriptionIn(CreateSchema):
    """The browser's PushSubscription as `subscription.toJSON()` gives it."""

    endpoint: Annotated[HttpUrl, Field(max_length=1000)]
    keys: PushKeys
    expirationTime: BigCount | None = None


class PushSubscriptionRead(Schema):
    id: int
    endpoint: str
    created_at: datetime


class PushKey(Schema):
    public_key: str | None = Field(description="base64url, the uncompressed P-256 point")
