"""Back-office routes of usage: the streamed import of usage records and prepaid top-ups."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field

from linedesk.backoffice.auth import OperatorKey
from linedesk.deps import ClockDep, SessionDep
from linedesk.errors import ValidationFailed
from linedesk.kit.phone import number_in_path
from linedesk.kit.schemas import CreateSchema, Schema, one_line
from linedesk.kit.uploads import limited
from linedesk.usage.files import DEFAULT_BATCH_SIZE, read_stream
from linedesk.usage.live import Announced
from linedesk.usage.schemas import ImportSummary
from linedesk.usage.service import import_batches, top_up

router = APIRouter(prefix="/backoffice", tags=["back office: usage"])
MEDIA_TYPES = ("text/csv", "application/x-ndjson")
USAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES},
    }
}


class TopUpIn(CreateSchema):
    amount: Annotated[Decimal, Field(gt=0, le=10_000, decimal_places=2)]
    reference: Annotated[str, one_line(max_length=64)]


class PrepaidBalanceRead(Schema):
    msisdn: str
    balance: Decimal
    updated_at: datetime


@router.post("/usage/import", response_model=ImportSummary, openapi_extra=USAGE_BODY)
async def import_usage(
    _: OperatorKey,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    batch_size: Annotated[int, Query(ge=100, le=50_000)] = DEFAULT_BATCH_SIZE,
) -> ImportSummary:
    """Import usage records (CSV with a header row, or NDJSON), rated as they arrive.

    The body is read and imported a batch at a time, each batch all or nothing. Records
    already imported are counted as duplicates, so sending a file again adds nothing. A batch
    with bad rows answers 422 listing each bad row by its line in the file; the batches
    before it stay imported, and the message says how many records they held. A line longer
    than 64 KiB answers 422 naming it (the batches before it stay imported too).
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise ValidationFailed("Send the file as text/csv or application/x-ndjson", code="bad_file")
    body = limited(request.stream())  # a line is a record: capped before it is parsed
    announced = Announced(request.app.state.live, read_stream(body, batch_size), session.commit)
    return await import_batches(
        session,
        clock.now,
        announced.batches(),
        announced.commit,
        on_counters=request.app.state.on_counters,
        side_by_side=request.app.state.sessionmaker,
    )


@router.post("/lines/{msisdn}/top-ups", response_model=PrepaidBalanceRead)
async def create_top_up(
    _: OperatorKey, session: SessionDep, clock: ClockDep, msisdn: str, body: TopUpIn
) -> PrepaidBalanceRead:
    """Add credit to a prepaid line. The reference makes it safe to retry: a reference seen
    before changes nothing and answers the current balance."""
    number = number_in_path(msisdn)
    balance = await top_up(session, clock.now(), number, body.amount, body.reference)
    return PrepaidBalanceRead(msisdn=number, balance=balance.balance, updated_at=balance.updated_at)
