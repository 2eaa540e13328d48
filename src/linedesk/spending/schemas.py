"""The spending trend as the API returns it: months, groups, top lines, all money typed."""

from enum import StrEnum

from pydantic import ConfigDict, Field

from linedesk.kit.money import Money
from linedesk.kit.phone import LineKind
from linedesk.kit.schemas import Schema


class GroupBy(StrEnum):
    month = "month"
    kind = "kind"
    line = "line"
    billing_account = "billing_account"


class MonthSpending(Schema):
    month: str = Field(description="YYYY-MM", examples=["2026-10"])
    estimate: bool = Field(description="true for the current month, not billed yet")
    mobile: Money
    fixed: Money
    total: Money


class GroupMonth(Schema):
    month: str
    estimate: bool
    amount: Money


class SpendingGroup(Schema):
    """One mobile/fixed kind, one billing account or one line, month by month (a line's
    group has its total only)."""

    key: str
    kind: LineKind | None = None
    billing_account: str | None = None
    months: list[GroupMonth] = Field(default_factory=list)
    total: Money


class LineSpending(Schema):
    msisdn: str
    kind: LineKind
    billing_account: str
    total: Money


class SpendingTrend(Schema):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    group_by: GroupBy
    months: list[MonthSpending]
    groups: list[SpendingGroup] = Field(
        description="empty for group_by=month; for group_by=line one page of lines "
        "(offset/limit; their number in X-Total-Count), highest first"
    )
    top_lines: list[LineSpending] = Field(description="the 10 lines billed most in the range")
    billed: Money = Field(description="what was invoiced in the range")
    estimated: Money = Field(description="the current month's estimate, if in the range")
