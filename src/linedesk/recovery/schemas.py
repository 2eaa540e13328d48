"""Requests and answers of password recovery."""

from typing import Literal

from pydantic import Field

from linedesk.identity.schemas import CodeTicket, Username
from linedesk.kit.schemas import CreateSchema, Schema


class RecoveryStart(CreateSchema):
    username: Username = Field(description="the registered mobile number, or a manager's username")
    channel: Literal["sms", "email"] | None = Field(
        default=None, description="email to use the address on file instead of SMS"
    )
    language: Literal["it", "en"] = "it"


class RecoveryTicket(CodeTicket):
    id_field = "recovery_id"
    recovery_id: str


class NewPassword(Schema):
    new_password: str = Field(
        description="shown once; it signs in once, then the user must choose their own"
    )
