"""The company's record, its billing accounts and line counts as managers read them."""

from linedesk.inventory.models import LineStatus
from linedesk.inventory.schemas import BillingAccountRead, CompanyRead
from linedesk.kit.phone import LineKind
from linedesk.kit.schemas import Schema


class LineCount(Schema):
    kind: LineKind
    status: LineStatus
    count: int


class LineCounts(Schema):
    total: int
    by_kind: dict[LineKind, int]
    by_status: dict[LineStatus, int]
    by_kind_and_status: list[LineCount]


class CompanyData(CompanyRead):
    """The company record with its line counts and how many billing accounts it has."""

    billing_accounts: int
    lines: LineCounts


__all__ = ["BillingAccountRead", "CompanyData", "LineCount", "LineCounts"]
