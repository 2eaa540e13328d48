"""One date style, months in words, grouped phone numbers: Italian first, English second."""

from datetime import UTC, date, datetime

from linedesk.kit.i18n import Localizer, grouped_number

IT, EN = Localizer("it"), Localizer("en")
AT = datetime(2026, 11, 30, 4, 47, tzinfo=UTC)  # 05:47 in Rome


def test_updated_says_day_and_time_in_rome():
    assert IT.updated(AT) == "Aggiornato il 30/11/2026 alle 05:47"
    assert EN.updated(AT) == "Updated on 30/11/2026 at 05:47"


def test_days_and_months_have_the_month_in_words():
    assert IT.day(date(2026, 11, 30)) == "30 nov 2026"
    assert EN.day(date(2026, 11, 30)) == "30 Nov 2026"
    assert IT.month("2026-11") == "nov 2026" and IT.month(date(2026, 10, 1)) == "ott 2026"
    assert EN.month("2026-11") == "Nov 2026"
    assert IT.day_month(date(2026, 11, 3)) == "3 nov"
    assert IT.moment(AT) == "30/11/2026 05:47"


def test_phone_numbers_are_grouped():
    assert grouped_number("+393886599378") == "+39 388 659 9378"
    assert grouped_number("+390212345678") == "+39 02 1234 5678"
    assert grouped_number("+390511234567") == "+39 051 1234 567"
    assert grouped_number("laura.admin") == "laura.admin"
    assert IT.phone("+393291282553") == "+39 329 128 2553"


def test_whole_euros_for_chart_axes():
    assert IT.money_whole(1000) == "1.000\xa0€"
    assert EN.money_whole(1000) == "€1,000"
