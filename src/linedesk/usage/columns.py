"""Reading a piece of a usage file as columns with Polars' readers. Only a piece that the
row-by-row schema (`UsageRecordIn`) would accept as it is gets through: anything else
answers None, and the caller reads the piece row by row, which names each bad row."""

import io

import polars as pl

from linedesk.errors import NOT_ONE_LINE
from linedesk.kit.schemas import FIRST_DAY, LAST_DAY
from linedesk.usage.batch import FRAME_SCHEMA

COLUMNS = ("record_id", "line", "started_at", "type", "quantity", "destination")
REQUIRED = frozenset(COLUMNS) - {"destination"}
TEXT = ("record_id", "line", "started_at", "type", "destination")
LENGTHS = {"record_id": (1, 64), "line": (3, 20)}
AWARE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
CHOICES = {
    "type": ("data", "voice", "sms"),
    "destination": ("national", "eu_roaming", "international", "premium"),
}
MAX_QUANTITY = 10**13


def _plain(lines: list[str]) -> bool:
    """No blank line (rows are then numbered by position) and no quoting."""
    return all(line and not line.isspace() and '"' not in line for line in lines)


def _ends(lines: list[str]) -> list[str]:
    """Lines without a Windows line end (both readers take `\\r\\n` as a line end)."""
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def csv_columns(
    lines: list[str], first: int, header: list[str], delimiter: str
) -> pl.DataFrame | None:
    lines = _ends(lines)
    if not lines or not _plain(lines):
        return None
    cells = pl.Series(lines).str.count_matches(delimiter, literal=True)
    if (cells != len(header) - 1).any():
        return None  # a row with too few or too many cells: the row reader names it
    try:
        frame = pl.read_csv(
            io.StringIO("\n".join(lines)),
            has_header=False,
            new_columns=header,
            separator=delimiter,
            infer_schema=False,
            quote_char=None,
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != len(lines):
        return None
    if any((frame[name] != frame[name].str.strip_chars()).any() for name in header):
        return None
    frame = frame.with_columns(
        pl.when(pl.col(name) != "").then(pl.col(name)).alias(name) for name in header
    )
    quantity = frame["quantity"]
    if not quantity.str.contains(r"^\d{1,14}$").fill_null(False).all():
        return None
    return _checked(frame.with_columns(pl.col("quantity").cast(pl.Int64)), first)


def ndjson_columns(lines: list[str], first: int) -> pl.DataFrame | None:
    lines = _ends(lines)
    if not lines or not _plain([line.replace('"', "") for line in lines]):
        return None
    try:
        frame = pl.read_ndjson(io.StringIO("\n".join(lines)), infer_schema_length=None)
    except pl.exceptions.PolarsError:
        return None
    if frame.height != len(lines) or not set(frame.columns) <= set(COLUMNS):
        return None
    if any(frame[name].dtype != pl.String for name in TEXT if name in frame.columns):
        return None
    if "quantity" not in frame.columns or frame["quantity"].dtype != pl.Int64:
        return None
    if frame.null_count().sum_horizontal().item():
        return None  # a key missing in some rows, or a null: the row reader says which
    if any(
        (frame[name] != frame[name].str.strip_chars()).any()
        for name in TEXT
        if name in frame.columns
    ):
        return None
    return _checked(frame, first)


def _checked(frame: pl.DataFrame, first: int) -> pl.DataFrame | None:
    """The piece in `FRAME_SCHEMA` columns, or None when any value breaks a rule."""
    if any(name not in frame.columns or frame[name].null_count() for name in REQUIRED):
        return None
    if "destination" not in frame.columns:
        frame = frame.with_columns(destination=pl.lit(None, pl.String))
    frame = frame.with_columns(pl.col("destination").fill_null("national"))
    if any(frame[name].str.contains(NOT_ONE_LINE.pattern).any() for name in TEXT):
        return None  # a control character or a line break: the row reader names it
    for name, (shortest, longest) in LENGTHS.items():
        length = frame[name].str.len_chars()
        if ((length < shortest) | (length > longest)).any():
            return None
    for name, choices in CHOICES.items():
        if not frame[name].is_in(choices).all():
            return None
    if not frame["started_at"].str.contains(AWARE).all():
        return None
    if ((frame["quantity"] < 0) | (frame["quantity"] > MAX_QUANTITY)).any():
        return None
    frame = frame.with_columns(
        pl.col("started_at").str.to_datetime(time_zone="UTC", strict=False, time_unit="us"),
        row=pl.int_range(first, first + frame.height, dtype=pl.Int64),
    )
    if frame["started_at"].null_count():
        return None
    years = frame["started_at"].dt.year()
    if ((years < FIRST_DAY.year) | (years > LAST_DAY.year)).any():
        return None  # outside the years a date may take: the row reader names the row
    return frame.select(*FRAME_SCHEMA).cast(FRAME_SCHEMA)  # type: ignore[arg-type]
