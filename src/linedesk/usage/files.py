"""Usage files in (CSV with a header row, `,` or `;`, or NDJSON), numbered records out, in
batches, while the file is still being read; bad rows become per-row errors.

Rows are numbered by their line in the file (a CSV header is line 1), so a row error points
at the line an operator opens in an editor. A record is one line: CDRs have no line breaks.

A piece of the file is read as columns by Polars (`usage.columns`); a piece with anything
unusual in it (a bad value, quoting, blank lines, odd spacing) is read again row by row by
the pydantic schema, which defines what is accepted and names each bad row with its reason.
"""

import codecs
import csv
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path

import polars as pl
from pydantic import ValidationError

from linedesk.errors import ValidationFailed
from linedesk.kit.csvfile import RowError, row_errors
from linedesk.usage.batch import FRAME_SCHEMA, frame_of
from linedesk.usage.columns import COLUMNS, REQUIRED, csv_columns, ndjson_columns
from linedesk.usage.models import Destination, UsageType
from linedesk.usage.schemas import UsageRecordIn

DEFAULT_BATCH_SIZE = 50_000  # records per transaction: per-batch work is per line, not per record
READ_SIZE = 1 << 20


class Batch:
    """Up to `batch_size` rows of the file: the valid records and the bad rows' errors.

    Valid records are numbered (row, record); those read as columns wait in `columns` and
    are turned into records only if someone asks for `records` (the import takes `frame()`).
    """

    def __init__(
        self,
        records: list[tuple[int, UsageRecordIn]] | None = None,
        errors: list[RowError] | None = None,
        rows: int = 0,
        columns: list[pl.DataFrame] | None = None,
    ) -> None:
        self.parsed = records if records is not None else []
        self.errors = errors if errors is not None else []
        self.rows = rows  # data rows read, good and bad
        self.columns = columns if columns is not None else []

    @property
    def records(self) -> list[tuple[int, UsageRecordIn]]:
        for part in self.columns:
            self.parsed.extend(_numbered(part))
        self.columns.clear()
        self.parsed.sort(key=lambda item: item[0])
        return self.parsed

    def frame(self) -> pl.DataFrame:
        """All valid records as columns (`usage.batch.FRAME_SCHEMA`), in row order."""
        parts = [*self.columns, frame_of(self.parsed)] if self.parsed else self.columns
        if not parts:
            return pl.DataFrame(schema=FRAME_SCHEMA)
        return pl.concat(parts).sort("row")


class UsageFileParser:
    """Fed text in pieces of any size; gives a batch each time `batch_size` rows are read."""

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE, columns: bool = True) -> None:
        self.batch_size = batch_size
        self.columns = columns  # read as columns where possible (off: row by row only)
        self.line = 0
        self.header: list[str] | None = None
        self.delimiter = ","
        self.ndjson: bool | None = None
        self.pending = ""
        self.batch = Batch()

    def feed(self, text: str) -> Iterator[Batch]:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        yield from self._lines(lines)

    def finish(self) -> Iterator[Batch]:
        tail, self.pending = self.pending, ""
        yield from self._lines([tail] if tail else [])
        if self.ndjson is None:
            raise ValidationFailed("The file is empty", code="bad_file")
        if self.batch.rows:
            yield self.batch
            self.batch = Batch()

    def _lines(self, lines: list[str]) -> Iterator[Batch]:
        start = 0
        while start < len(lines):
            room = self.batch_size - self.batch.rows
            chunk = lines[start : start + room]
            start += len(chunk)
            self._parse(chunk)
            if self.batch.rows >= self.batch_size:
                yield self.batch
                self.batch = Batch()

    def _parse(self, lines: list[str]) -> None:
        first = self.line + 1
        self.line += len(lines)
        if self.ndjson is None:
            lines, first = self._start(lines, first)
            if self.ndjson is None:  # only blank lines so far: the format is still unknown
                return
        if self.ndjson:
            self._parse_ndjson(lines, first)
        else:
            self._parse_csv(lines, first)

    def _start(self, lines: list[str], first: int) -> tuple[list[str], int]:
        """The first non-blank line tells the format; for CSV it is the header."""
        for offset, raw in enumerate(lines):
            text = raw.lstrip("\ufeff").strip()
            if not text:
                continue
            self.ndjson = text.startswith("{")
            if self.ndjson:
                return [text, *lines[offset + 1 :]], first + offset
            self._read_header(text)
            return lines[offset + 1 :], first + offset + 1
        return [], first + len(lines)

    def _read_header(self, text: str) -> None:
        self.delimiter = ";" if text.count(";") > text.count(",") else ","
        header = [name.strip() for name in next(csv.reader([text], delimiter=self.delimiter))]
        unknown = [name for name in header if name not in COLUMNS]
        missing = sorted(REQUIRED - set(header))
        if unknown or missing or len(set(header)) != len(header):
            raise ValidationFailed(
                "The header row must name the columns "
                + ",".join(COLUMNS)
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                code="bad_file",
            )
        self.header = header

    def _parse_csv(self, lines: list[str], first: int) -> None:
        assert self.header is not None
        header, width, batch = self.header, len(self.header), self.batch
        columns = csv_columns(lines, first, header, self.delimiter) if self.columns else None
        if columns is not None:
            batch.rows += columns.height
            batch.columns.append(columns)
            return
        for number, cells in enumerate(_csv_rows(lines, self.delimiter), first):
            if isinstance(cells, csv.Error):
                batch.rows += 1
                batch.errors.append(RowError(number, f"not a CSV line: {cells}"))
                continue
            if not cells or not any(cell.strip() for cell in cells):
                continue
            batch.rows += 1
            if len(cells) != width:
                batch.errors.append(RowError(number, f"{len(cells)} cells for {width} columns"))
                continue
            data = {
                name: cell
                for name, cell in zip(header, cells, strict=True)
                if cell and not cell.isspace()
            }
            try:
                batch.parsed.append((number, UsageRecordIn.model_validate(data)))
            except ValidationError as exc:
                batch.errors.extend(row_errors(number, exc))

    def _parse_ndjson(self, lines: list[str], first: int) -> None:
        batch = self.batch
        columns = ndjson_columns(lines, first) if self.columns else None
        if columns is not None:
            batch.rows += columns.height
            batch.columns.append(columns)
            return
        for number, text in enumerate(lines, first):
            if not text or text.isspace():
                continue
            batch.rows += 1
            try:
                batch.parsed.append((number, UsageRecordIn.model_validate_json(text)))
            except ValidationError as exc:
                batch.errors.extend(_json_errors(number, exc))


def _csv_rows(lines: list[str], delimiter: str) -> Iterator[list[str] | csv.Error]:
    """Each line's cells, or the reader's error for a line it refuses (a carriage return in
    an unquoted cell, a cell past its size limit); the reader goes on at the next line."""
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def _numbered(frame: pl.DataFrame) -> list[tuple[int, UsageRecordIn]]:
    """Records read as columns, as schema objects (already valid: not checked again)."""
    return [
        (
            row,
            UsageRecordIn.model_construct(
                record_id=record_id,
                line=line,
                started_at=started_at,
                type=UsageType(usage_type),
                quantity=quantity,
                destination=Destination(destination),
            ),
        )
        for row, record_id, line, started_at, usage_type, quantity, destination in frame.select(
            *FRAME_SCHEMA
        ).iter_rows()
    ]


def _json_errors(number: int, exc: ValidationError) -> list[RowError]:
    if any(err.get("type") == "json_invalid" for err in exc.errors()):
        return [RowError(number, "not a JSON object")]
    return row_errors(number, exc)


def read_file(path: Path, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Batch]:
    """The batches of a CSV or NDJSON file on disk, read a piece at a time."""
    parser = UsageFileParser(batch_size)
    with path.open(encoding="utf-8-sig", newline="") as file:
        while text := file.read(READ_SIZE):
            yield from parser.feed(text)
    yield from parser.finish()


async def read_stream(
    chunks: AsyncIterable[bytes], batch_size: int = DEFAULT_BATCH_SIZE
) -> AsyncIterator[Batch]:
    """The batches of a file arriving in pieces (an HTTP body), as soon as each is complete."""
    parser = UsageFileParser(batch_size)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        async for chunk in chunks:
            for batch in parser.feed(decoder.decode(chunk)):
                yield batch
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file must be UTF-8 encoded", code="bad_file") from exc
    for batch in parser.feed(tail):
        yield batch
    for batch in parser.finish():
        yield batch
