"""The trend as a CSV file for Excel in Italian: `;` between cells, a decimal comma, UTF-8
with a byte order mark (so Excel reads accents right), CRLF line ends; amounts are numbers,
and no text cell can run as a formula (kit.spreadsheet)."""

import io
from decimal import Decimal

from linedesk.kit.money import Money
from linedesk.kit.spreadsheet import SpreadsheetWriter
from linedesk.spending.schemas import GroupBy, SpendingTrend

BOM = "\ufeff"
CENTS = Decimal("0.01")


def amount(money: Money) -> Decimal:
    """The amount to the cent, written as a number (with a decimal comma)."""
    return money.amount.quantize(CENTS)


def _flag(estimate: bool) -> str:
    return "yes" if estimate else "no"


def trend_csv(trend: SpendingTrend) -> str:
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer, delimiter=";", decimal_comma=True)
    if trend.group_by is GroupBy.month:
        writer.writerow(["month", "mobile", "fixed", "total", "estimate"])
        for m in trend.months:
            writer.writerow(
                [m.month, amount(m.mobile), amount(m.fixed), amount(m.total), _flag(m.estimate)]
            )
    elif trend.group_by is GroupBy.line:
        writer.writerow(["msisdn", "kind", "billing_account", "total"])
        for g in trend.groups:
            writer.writerow(
                [g.key, g.kind.value if g.kind else "", g.billing_account or "", amount(g.total)]
            )
    else:
        writer.writerow(["month", trend.group_by.value, "amount", "estimate"])
        for g in trend.groups:
            for gm in g.months:
                writer.writerow([gm.month, g.key, amount(gm.amount), _flag(gm.estimate)])
    return BOM + buffer.getvalue()


def parse_amount(cell: str) -> Decimal:
    """An amount cell read back (for readers of the file, and its tests)."""
    return Decimal(cell.replace(",", "."))
