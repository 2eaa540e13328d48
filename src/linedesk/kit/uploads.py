"""Uploaded files read within limits: a body past its size is refused with 413 before it is
read whole, and a line longer than MAX_LINE_BYTES is refused with 422 naming the line (a
record is a line or a few: nothing legitimate comes near it, and the CSV reader fails on it)."""

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator

from fastapi import HTTPException
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from linedesk.errors import ErrorResponse, PayloadTooLarge, ValidationFailed, error_body

MAX_LINE_BYTES = 64 * 1024
# Any other request body (JSON, a web form) is far smaller: past this it is refused with 413.
MAX_BODY_BYTES = 1_000_000
READ_SIZE = 1 << 16
# The answer of an upload route past the size limit, for its OpenAPI description.
UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorResponse, "description": "The file is larger than the server's limit"},
}


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file is larger than the limit of {max_bytes:,} bytes",
        details=[{"field": "body", "reason": f"over {max_bytes} bytes"}],
    )


def line_too_long(line: int, max_line: int) -> ValidationFailed:
    reason = f"longer than {max_line:,} bytes"
    return ValidationFailed(
        f"Line {line} is {reason}", code="line_too_long", details=[{"row": line, "reason": reason}]
    )


async def limited(
    chunks: AsyncIterable[bytes], *, max_bytes: int | None = None, max_line: int = MAX_LINE_BYTES
) -> AsyncGenerator[bytes, None]:
    """The chunks as they come, refused as soon as the total passes `max_bytes` or a line
    (counted from 1, split at line feeds) passes `max_line`."""
    total = 0
    line = 1
    run = 0  # bytes of the current line so far
    async for chunk in chunks:
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise too_large(max_bytes)
        parts = chunk.split(b"\n")
        if run + len(parts[0]) > max_line:
            raise line_too_long(line, max_line)
        if len(parts) > 1:
            longest = max(len(part) for part in parts[1:])
            if longest > max_line:
                index = next(i for i, p in enumerate(parts[1:], 1) if len(p) > max_line)
                raise line_too_long(line + index, max_line)
            run = 0
        run += len(parts[-1])
        line += len(parts) - 1
        yield chunk


def refuse_declared_size(request: Request, max_bytes: int) -> None:
    """Refuse at once a body whose declared length is past the limit: nothing is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)


async def _file_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(READ_SIZE):
        yield chunk


async def _form_file(request: Request, max_bytes: int) -> UploadFile:
    parser = MultiPartParser(
        request.headers,
        limited(request.stream(), max_bytes=max_bytes, max_line=max_bytes),
        max_files=1,
        max_fields=10,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ValidationFailed(exc.message, code="bad_csv") from exc
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ValidationFailed("Send the CSV as the form field 'file'", code="bad_csv")
    return upload


async def read_upload(request: Request, max_bytes: int) -> str:
    """The CSV a back-office route received, as text: the body, or the form field `file`;
    UTF-8, at most `max_bytes` (413) with lines of at most MAX_LINE_BYTES (422)."""
    refuse_declared_size(request, max_bytes)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        upload = await _form_file(request, max_bytes)
        try:
            body = [chunk async for chunk in limited(_file_chunks(upload))]
        finally:
            await upload.close()
    else:
        body = [chunk async for chunk in limited(request.stream(), max_bytes=max_bytes)]
    try:
        return b"".join(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The CSV file must be UTF-8 encoded", code="bad_csv") from exc


def is_upload(path: str) -> bool:
    """The back office's import routes, which read their bodies within limits of their own."""
    return path.startswith("/api/v1/backoffice/") and path.endswith("/import")


class BodyLimitMiddleware:
    """Any request body but an upload's is refused past `max_bytes` with 413, in the one error
    shape: at once when its declared length says so, else as soon as that much has come."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_upload(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            body = error_body("payload_too_large", self._message)
            await JSONResponse(body, status_code=413)(scope, receive, send)
            return
        total = 0

        async def limited_receive() -> Message:
            nonlocal total
            message = await receive()
            total += len(message.get("body", b""))
            if total > self.max_bytes:  # an HTTPException: FastAPI's body reading lets it by
                raise HTTPException(413, self._message)
            return message

        await self.app(scope, limited_receive, send)

    @property
    def _message(self) -> str:
        return f"The request body is larger than the limit of {self.max_bytes:,} bytes"
