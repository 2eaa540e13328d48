"""Base request/response models and shared field types."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

from linedesk.kit.phone import InvalidNumber  # noqa: F401  (re-exported for validators)


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)

class CreateSchema(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Province = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]
