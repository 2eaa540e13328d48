"""The usage record as imported (CSV or NDJSON, one per row), and import results."""

from datetime import datetime
from typing import Annotated

from pydantic import Field

from linedesk.kit.schemas import AwareTimestamp, CreateSchema, Schema, one_line
from linedesk.usage.models import Destination, UsageType


class UsageRecordIn(CreateSchema):
    """A CDR: `line` is the line's number (any Italian form), `quantity` is in bytes (data),
    seconds (voice) or messages (sms)."""

    record_id: Annotated[str, one_line(max_length=64)]
    line: Annotated[str, one_line(min_length=3, max_length=20)]
    started_at: AwareTimestamp
    type: UsageType
    quantity: Annotated[int, Field(ge=0, le=10**13)]
    destination: Destination = Destination.national


class ImportSummary(Schema):
    records: int = Field(description="records read")
    imported: int = Field(description="new records rated and counted")
    duplicates: int = Field(description="records already imported before (ignored)")
    batches: int
    finished_at: datetime
