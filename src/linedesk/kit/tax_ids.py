"""Italian tax identifiers: VAT number (partita IVA) and fiscal code, with python-stdnum."""

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva


class InvalidTaxId(ValueError):
    pass


def normalize_vat_number(raw: str) -> str:
    """Return the 11-digit partita IVA, accepting an optional IT prefix and spaces."""
    compact = iva.compact(raw)
    if compact.upper().startswith("IT"):
        compact = compact[2:]
    try:
        return str(iva.validate(compact))
    except ValidationError as exc:
        raise InvalidTaxId(f"'{raw}' is not a valid VAT number: {exc}") from exc


def normalize_fiscal_code(raw: str) -> str:
    """A company's codice fiscale: its 11-digit number, or a person's 16-character code."""
    compact = codicefiscale.compact(raw)
    try:
        if len(compact) == 11:
            return str(iva.validate(compact))
        return str(codicefiscale.validate(compact))
    except ValidationError as exc:
        raise InvalidTaxId(f"'{raw}' is not a valid fiscal code: {exc}") from exc


def vat_with_check_digit(first_ten: str) -> str:
    """Complete ten digits into a valid partita IVA (used by the demo data)."""
    return first_ten + luhn.calc_check_digit(first_ten)


def normalize_iccid(raw: str) -> str:
    """An ICCID: 19 or 20 digits starting with 89, with a valid Luhn check digit."""
    compact = "".join(raw.split())
    if not compact.isdigit() or len(compact) not in (19, 20) or not compact.startswith("89"):
        raise InvalidTaxId(f"'{raw}' is not an ICCID (19-20 digits starting with 89)")
    if not luhn.is_valid(compact):
        raise InvalidTaxId(f"'{raw}' has a wrong check digit")
    return compact


def iccid_with_check_digit(first_digits: str) -> str:
    return first_digits + luhn.calc_check_digit(first_digits)
