"""Requests and answers of the managers' area."""

from datetime import datetime
from typing import Annotated, Literal

from linedesk.identity.models import Profile
from linedesk.identity.schemas import AnyPassword, CodeTicket
from linedesk.kit.schemas import CreateSchema, Email, Schema, one_line
from linedesk.registration.schemas import ManagerUsername


class ManagerCreate(CreateSchema):
    username: ManagerUsername
    email: Email
    language: Literal["it", "en"] = "it"


class ManagerRead(Schema):
    id: int
    username: str
    email: str | None
    profile: Profile
    active: bool
    totp_enabled: bool
    created_at: datetime


class ActivationTicket(CodeTicket):
    id_field = "activation_id"
    activation_id: str


class ManagerCreated(ManagerRead):
    activation: ActivationTicket


class ActivationComplete(CreateSchema):
    code: Annotated[str, one_line(max_length=32)]
    password: AnyPassword


class AuditEventRead(Schema):
    id: int
    action: str
    subject: str | None
    client_ip: str | None
    detail: dict[str, object]
    created_at: datetime
