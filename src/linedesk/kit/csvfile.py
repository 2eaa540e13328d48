"""CSV files in, rows with their line numbers out; per-row validation errors."""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from linedesk.errors import ValidationFailed, error_reason

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "reason": self.reason}
        if self.field:
            out["field"] = self.field
        return out


class CsvFormatError(ValueError):
    pass


def read_rows(text: str) -> list[tuple[int, dict[str, str | None]]]:
    """Rows keyed by header, each with the file line it starts on; empty cells become None."""
    return list(iter_rows(text))


def iter_rows(text: str) -> Iterator[tuple[int, dict[str, str | None]]]:
    """The rows of `read_rows` one at a time, so that they need not all be held at once."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise CsvFormatError("the file is empty or has no header line")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    if len(set(header)) != len(header):
        raise CsvFormatError("the header line names a column twice")
    reader.fieldnames = header
    line = reader.line_num + 1
    try:
        for record in reader:
            if None in record:
                raise CsvFormatError(f"line {line}: more cells than header columns")
            if any(value is not None and value.strip() for value in record.values()):
                yield line, {k: _cell(v) for k, v in record.items()}
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CsvFormatError(f"line {line}: {exc}") from exc


def validate_file(schema: type[S], text: str) -> tuple[list[tuple[int, S]], list[RowError]]:
    """Read and validate a CSV file row by row (only the valid rows are kept); a malformed
    or empty file is a ValidationFailed (`bad_csv`)."""
    try:
        items, errors = validate_rows(schema, iter_rows(text))
    except CsvFormatError as exc:
        raise ValidationFailed(str(exc), code="bad_csv") from exc
    if not items and not errors:
        raise ValidationFailed("the file has no data rows", code="bad_csv")
    return items, errors


def _cell(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def validate_rows(
    schema: type[S], rows: Iterable[tuple[int, dict[str, Any]]]
) -> tuple[list[tuple[int, S]], list[RowError]]:
    """Validate every row against `schema`; keep going to report every bad row."""
    items: list[tuple[int, S]] = []
    errors: list[RowError] = []
    for line, record in rows:
        data = {k: v for k, v in record.items() if v is not None}
        try:
            items.append((line, schema.model_validate(data)))
        except ValidationError as exc:
            errors.extend(row_errors(line, exc))
    return items, errors


def row_errors(line: int, exc: ValidationError) -> list[RowError]:
    out = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err.get("loc", ())) or None
        message = error_reason(err).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            message = "unknown column"
        out.append(RowError(row=line, field=field, reason=message))
    return out


# The request body of the back office's CSV routes, for the OpenAPI description.
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
