"""CSV cells for spreadsheets: text that would run as a formula is neutralised, numbers stay
numbers (negative amounts included)."""

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linedesk.kit.spreadsheet import FORMULA_STARTS, SpreadsheetWriter, text_cell

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "-A1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "=",
    "+",
    "-",
    "@",
]


def written(*cells: object) -> list[str]:
    buffer = io.StringIO()
    SpreadsheetWriter(buffer).writerow(cells)  # type: ignore[arg-type]
    (row,) = list(csv.reader(io.StringIO(buffer.getvalue(), newline=""), delimiter=";"))
    return row


@pytest.mark.parametrize("value", HOSTILE)
def test_a_text_cell_that_starts_like_a_formula_is_read_as_text(value: str):
    assert written(value) == ["'" + value]


@pytest.mark.parametrize(
    "value",
    [
        "Rossi Impianti",
        "2026-09",
        "mobile",
        "BA-0001",
        "a=b",
        "",
        "+393471234567",
        "-5",
        "-12,34",
        "+1.5",
    ],
)
def test_other_text_and_plain_numbers_are_left_alone(value: str):
    assert written(value) == [value]


def test_numbers_are_numeric_cells_whatever_their_sign():
    assert written(Decimal("-12.34"), Decimal("1234.50"), -7, 0, None) == [
        "-12,34",
        "1234,50",
        "-7",
        "0",
        "",
    ]
    buffer = io.StringIO()
    SpreadsheetWriter(buffer, delimiter=",", decimal_comma=False).writerow([Decimal("-0.50")])
    assert buffer.getvalue() == "-0.50\r\n"


def test_a_flag_must_be_written_as_text():
    with pytest.raises(TypeError):
        written(True)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_no_text_cell_can_start_a_formula(value: str):
    cell = text_cell(value)
    if cell.startswith(FORMULA_STARTS):
        float(cell.replace(",", "."))  # only a plain number may start with a sign
    assert cell in (value, "'" + value)
