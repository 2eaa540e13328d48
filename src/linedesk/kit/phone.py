"""Italian phone numbers: parsed with phonenumbers, stored in E.164, mobile vs fixed."""

import re
from enum import StrEnum
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType


class LineKind(StrEnum):
    mobile = "mobile"
    fixed = "fixed"


class InvalidNumber(ValueError):
    pass


_KIND_TYPES = {
    LineKind.mobile: {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    LineKind.fixed: {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.VOIP,
    },
}


def parse_italian_number(raw: str, kind: LineKind | None = None) -> str:
    """Return the E.164 form of an Italian number; check it is of `kind` when given."""
    try:
        number = phonenumbers.parse(raw.strip(), "IT")
    except NumberParseException as exc:
        raise InvalidNumber(f"'{raw}' is not a phone number") from exc
    if phonenumbers.region_code_for_number(number) != "IT":
        raise InvalidNumber(f"'{raw}' is not an Italian number")
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(f"'{raw}' is not a valid Italian number")
    if kind is not None and phonenumbers.number_type(number) not in _KIND_TYPES[kind]:
        raise InvalidNumber(f"'{raw}' is not a {kind.value} number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


E164_ITALIAN = re.compile(r"\+39\d{6,11}")


@lru_cache(maxsize=200_000)
def stored_number(raw: str) -> str:
    """A line's number as stored (E.164), for bulk work on numbers that are usually already
    in that form (usage records): that form is taken as it is (a lookup then decides whether
    such a line exists), the rest parsed by `parse_italian_number`, each distinct one once."""
    if E164_ITALIAN.fullmatch(raw):
        return raw
    return parse_italian_number(raw)


def parse_mobile(raw: str, field: str = "msisdn") -> str:
    """A mobile number from a user's input, or a 422 naming the field."""
    from linedesk.errors import ValidationFailed

    try:
        return parse_italian_number(raw, LineKind.mobile)
    except InvalidNumber as exc:
        raise ValidationFailed(str(exc), details=[{"field": field, "reason": str(exc)}]) from exc


def number_in_path(raw: str) -> str:
    """A line's number from a URL: one that cannot be a number is a line we do not have (404)."""
    from linedesk.errors import NotFound

    try:
        return parse_italian_number(raw)
    except InvalidNumber as exc:
        raise NotFound("No such line") from exc
