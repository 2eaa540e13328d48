"""CSV files in, rows with their line numbers out; per-row validation errors."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from linedesk.errors import ValidationFailed
from linedesk.kit.schemas import error_reason

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
    rows = []
    line = reader.line_num + 1
    try:
        for record in reader:
            if None in record:
                raise CsvFormatError(f"line {line}: more cells than header columns")
            if any(value is not None and value.strip() for value in record.values()):
                rows.append((line, {k: _cell(v) for k, v in record.items()}))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CsvFormatError(f"line {line}: {exc}") from exc
    return rows


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
                "schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                     "format": "binary"}}}
            },
        },
    }
}


async def csv_upload_text(request: Request) -> str:
    """The CSV a back-office route received: the body, or the form field `file`; UTF-8."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ValidationFailed("Send the CSV as the form field 'file'", code="bad_csv")
        raw = await upload.read()
    else:
        raw = await request.body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The CSV file must be UTF-8 encoded", code="bad_csv") from exc
