"""Base request/response models and shared field types.

Every input field is bounded to what linedesk can store: text is one line without control
characters, integers fit their column, dates lie within 1900-2099. A value outside is a 422
in the one error shape, never an overflow or encoding error in the database driver (a 500).
"""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from linedesk.errors import ONE_LINE_PATTERN
from linedesk.kit.phone import InvalidNumber  # noqa: F401  (re-exported for validators)


def attributes(source: object, *names: str, prefix: str = "") -> dict[str, Any]:
    """`source`'s attributes `prefix` + name, by name: for a response (or a sender built from
    the settings) whose fields are a row's of the same names."""
    return {name: getattr(source, prefix + name) for name in names}


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)


class CreateSchema(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# One line of text, as every text we take in is: no control character (C0, DEL, C1) and no
# line or paragraph separator. PostgreSQL cannot store a NUL, and a line break in a name ends
# up in e-mail headers. A pattern, so pydantic-core checks it without calling Python.


def one_line(
    max_length: int, *, min_length: int = 1, strip_whitespace: bool | None = None
) -> StringConstraints:
    """The constraints of a text field: `Annotated[str, one_line(64)]`."""
    return StringConstraints(
        min_length=min_length,
        max_length=max_length,
        pattern=ONE_LINE_PATTERN,
        strip_whitespace=strip_whitespace,
    )


Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Province = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$", to_upper=True)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
# A month as YYYY-MM. Years 1900-2099 only: every date derived from one (its end, the month
# after, a range back from it) must exist, and a "year 0000" must be a 422, not a crash.
MONTH_PATTERN = r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])$"
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]

# Integers as their columns hold them (INTEGER is 32-bit, BIGINT 64-bit on PostgreSQL).
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
BigCount = Annotated[int, Field(ge=0, le=INT64_MAX)]

# Dates and times in the years of a Month. The PostgreSQL driver stores date.min and date.max
# as -infinity and infinity, and a time in year 1 or 9999 overflows when moved to UTC.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


def _within_years(value: datetime) -> datetime:
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise ValueError(f"must be within the years {FIRST_DAY.year}-{LAST_DAY.year}")
    return value


Timestamp = Annotated[datetime, AfterValidator(_within_years)]
AwareTimestamp = Annotated[AwareDatetime, AfterValidator(_within_years)]
