"""Languages and formatting for people: Italian first, English second. Catalogues are .po
files compiled at load; `Localizer` is the one money, date and number formatter of pages,
e-mails, SMS and PDFs."""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TypeAlias

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations
from starlette.requests import Request

from linedesk.kit.clock import ROME

LANGUAGES = ("it", "en")
LOCALES = {"it": "it_IT", "en": "en_GB"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "lang"
# The types, for the methods named after them.
Day: TypeAlias = date
Moment: TypeAlias = datetime


def _compiled(po_path: Path, lang: str) -> Translations:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> Translations:
    """Every catalogue of the language (one .po file per area of the app), merged."""
    merged = Translations(domain="messages")
    for po_path in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        merged.merge(_compiled(po_path, lang))
    return merged


def pick_language(request: Request, default: str = "it") -> str:
    """An explicit choice (?lang=, then the cookie) wins; otherwise Italian."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return default if default in LANGUAGES else "it"


@dataclass(frozen=True)
class Localizer:
    """What a template needs to speak the user's language and format their numbers."""

    lang: str

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def gettext(self, message: str, **params: object) -> str:
        text = translations(self.lang).gettext(message)
        return text % params if params else text

    def pgettext(self, context: str, message: str, **params: object) -> str:
        """A message whose translation depends on what it speaks of: "Active" is "Attiva"
        for a line (feminine in Italian) and "Attivo" for a manager's profile."""
        text = str(translations(self.lang).pgettext(context, message))
        return text % params if params else text

    def money(self, amount: Decimal, currency: str = "EUR") -> str:
        return format_currency(amount, currency, locale=self.locale)

    def money_whole(self, amount: Decimal | int) -> str:
        """Whole euros for a chart's axis: 1.000 € (Italian), €1,000 (English)."""
        pattern = "#,##0\xa0¤" if self.lang == "it" else "¤#,##0"
        return format_currency(
            amount, "EUR", format=pattern, locale=self.locale, currency_digits=False
        )

    def money_text(self, amount: Decimal, unit: str = "EUR") -> str:
        """Money as plain text, the unit after the number (SMS, the PDF): 1.234,56 EUR."""
        return f"{self.number(amount, 2)} {unit}"

    def number(self, value: Decimal | int | float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def date(self, value: date, style: str = "medium") -> str:
        return format_date(value, format=style, locale=self.locale)

    def datetime(self, value: datetime, style: str = "medium") -> str:
        return format_datetime(value, format=style, tzinfo=ROME, locale=self.locale)

    def day(self, value: Day) -> str:
        """A day with its month in words: 30 nov 2026 (Italian), 30 Nov 2026 (English)."""
        return format_date(value, format="d MMM yyyy", locale=self.locale)

    def day_month(self, value: Day) -> str:
        """A day of this year's charts: 30 nov (Italian), 30 Nov (English)."""
        return format_date(value, format="d MMM", locale=self.locale)

    def month(self, value: Day | str) -> str:
        """A month in words, never 2026-11: nov 2026 (Italian), Nov 2026 (English).
        Takes a date or a 'YYYY-MM' text."""
        if isinstance(value, str):
            value = Day.fromisoformat(value[:7] + "-01")
        return format_date(value, format="LLL yyyy", locale=self.locale)

    def month_abbr(self, value: Day | str) -> str:
        """A month alone, for a chart's axis where the year is said once: nov (Nov)."""
        if isinstance(value, str):
            value = Day.fromisoformat(value[:7] + "-01")
        return format_date(value, format="LLL", locale=self.locale)

    def moment(self, value: Moment) -> str:
        """A time of day with its day, in Rome: 30/11/2026 05:47 (both languages)."""
        return format_datetime(value, format="dd/MM/yyyy HH:mm", tzinfo=ROME, locale=self.locale)

    def updated(self, value: Moment) -> str:
        """When counters were updated: 'Aggiornato il 30/11/2026 alle 05:47'."""
        return self.gettext(
            "Updated on %(day)s at %(time)s",
            day=format_datetime(value, format="dd/MM/yyyy", tzinfo=ROME, locale=self.locale),
            time=format_datetime(value, format="HH:mm", tzinfo=ROME, locale=self.locale),
        )

    def phone(self, msisdn: str) -> str:
        return grouped_number(msisdn)

    def language_name(self, lang: str) -> str:
        name = Locale.parse(LOCALES[lang]).get_language_name(LOCALES[lang]) or lang
        return name.capitalize()


def grouped_number(msisdn: str) -> str:
    """A phone number as people write it: +39 388 659 9378 (mobile: 3, 3, 4 digits), +39 02
    1234 5678 (fixed: the area code, then fours). Anything else is returned as it is."""
    if not msisdn.startswith("+39") or not msisdn[3:].isdigit():
        return msisdn
    national = msisdn[3:]
    if national.startswith("3") and len(national) == 10:
        parts = [national[:3], national[3:6], national[6:]]
    elif national.startswith("0"):
        area = 2 if national[:2] in ("02", "06") else 3
        rest = national[area:]
        parts = [national[:area]] + [rest[i : i + 4] for i in range(0, len(rest), 4)]
    else:
        return msisdn
    return " ".join(["+39", *parts])
