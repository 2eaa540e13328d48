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
# A month as YYYY-MM. Years 1900-2099 only: every date derived from one (its end, the month
# after, a range back from it) must exist, and a "year 0000" must be a 422, not a crash.
MONTH_PATTERN = r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]
