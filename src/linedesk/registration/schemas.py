"""Requests of employee and user-admin registration."""

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from linedesk.identity.schemas import AnyPassword, CodeTicket
from linedesk.inventory.schemas import Puk, VatNumber
from linedesk.kit.schemas import Code, CreateSchema, Email, one_line

Language = Literal["it", "en"]
ManagerUsername = Annotated[
    str,
    StringConstraints(
        min_length=3, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9._-]*$", to_lower=True
    ),
]


class RegistrationStart(CreateSchema):
    msisdn: Annotated[str, one_line(min_length=3, max_length=20)]
    data_only: bool = False
    puk: Puk | None = Field(default=None, description="data-only SIMs: the SIM's PUK")
    email: Email | None = Field(default=None, description="data-only SIMs: where the code goes")
    language: Language = "it"

    @model_validator(mode="after")
    def _data_only_needs_puk_and_email(self) -> Self:
        if self.data_only and not (self.puk and self.email):
            raise ValueError("a data-only SIM needs its PUK and an e-mail address")
        return self


class RegistrationComplete(CreateSchema):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    password: AnyPassword


class ManagerRegistrationStart(CreateSchema):
    vat_number: VatNumber
    billing_account_code: Code
    language: Language = "it"


class ManagerRegistrationComplete(CreateSchema):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    username: ManagerUsername
    password: AnyPassword
    email: Email | None = Field(
        default=None, description="the manager's own address (default: the company's)"
    )


class RegistrationTicket(CodeTicket):
    id_field = "registration_id"
    registration_id: str
