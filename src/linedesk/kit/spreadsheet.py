"""CSV files made to be opened in a spreadsheet.

A text cell that starts like a formula (`=`, `+`, `-`, `@`, or a tab, carriage return or line
feed before one) would be run by Excel or LibreOffice (OWASP "CSV injection"): it is written
with a leading apostrophe, which makes the spreadsheet read it as text. A text that is only a
number (`+393471234567`, `-5`) cannot be a formula and is left alone. Numbers (Decimal, int)
are numeric cells, written as numbers whatever their sign.
"""

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")

Cell = str | Decimal | int | None


class _Writable(Protocol):
    def write(self, text: str, /) -> int: ...


def text_cell(value: str) -> str:
    """`value` as a spreadsheet shows it, never run as a formula."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def number_cell(value: Decimal | int, *, decimal_comma: bool) -> str:
    """12.34 → "12,34" for Excel in Italian: no thousands separator, which Excel would read
    as a date or text; the sign kept."""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",") if decimal_comma else text


class SpreadsheetWriter:
    """csv.writer whose rows are typed: str cells are text (neutralised), Decimal and int
    cells are numbers, None is an empty cell."""

    def __init__(
        self,
        out: _Writable,
        *,
        delimiter: str = ";",
        decimal_comma: bool = True,
        lineterminator: str = "\r\n",
    ) -> None:
        self._writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator)
        self._decimal_comma = decimal_comma

    def writerow(self, cells: Iterable[Cell]) -> None:
        self._writer.writerow([self._cell(cell) for cell in cells])

    def _cell(self, cell: Cell) -> str:
        if cell is None:
            return ""
        if isinstance(cell, bool):  # a bool is an int to Python, not a number to a reader
            raise TypeError("write a flag as text")
        if isinstance(cell, Decimal | int):
            return number_cell(cell, decimal_comma=self._decimal_comma)
        return text_cell(cell)
