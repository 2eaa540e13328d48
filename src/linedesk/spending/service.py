"""The spending trend (SPEC R-M4): billed months from the invoices, the current month's
estimate from the inventory and the counters, grouped as the manager asks."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.billing.charges import month_end
from linedesk.errors import ValidationFailed
from linedesk.kit.money import Money, round_cents
from linedesk.kit.pagination import Page
from linedesk.kit.phone import LineKind
from linedesk.kit.repository import Scope
from linedesk.kit.schemas import MONTH_PATTERN
from linedesk.spending.repository import LineTotal, SpendingRepository
from linedesk.spending.schemas import (
    GroupBy,
    GroupMonth,
    LineSpending,
    MonthSpending,
    SpendingGroup,
    SpendingTrend,
)

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
TOP_LINES = 10
MONTH = re.compile(MONTH_PATTERN)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MonthRange:
    first: date
    last: date

    @property
    def months(self) -> list[date]:
        out, month = [], self.first
        while month <= self.last:
            out.append(month)
            month = add_months(month, 1)
        return out


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def _month(raw: str, name: str) -> date:
    match = MONTH.match(raw.strip())
    if not match:
        raise ValidationFailed(
            f"'{name}' must be a month as YYYY-MM",
            code="bad_range",
            details=[{"field": name, "reason": "not a YYYY-MM month"}],
        )
    return date(int(match[1]), int(match[2]), 1)


def checked_range(from_: str | None, to: str | None, today: date) -> MonthRange:
    """The months asked for: by default the last 12 up to this one; at most 36, none after
    the current month."""
    current = today.replace(day=1)
    last = _month(to, "to") if to else current
    first = _month(from_, "from") if from_ else add_months(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise ValidationFailed(
            "'from' must not be after 'to'",
            code="bad_range",
            details=[{"field": "from", "reason": "after 'to'"}],
        )
    if last > current:
        raise ValidationFailed(
            "'to' must not be after the current month",
            code="bad_range",
            details=[{"field": "to", "reason": "in the future"}],
        )
    if len(MonthRange(first, last).months) > MAX_MONTHS:
        raise ValidationFailed(
            f"A range has at most {MAX_MONTHS} months",
            code="bad_range",
            details=[{"field": "from", "reason": "range too long"}],
        )
    return MonthRange(first, last)


@dataclass
class Estimate:
    """The current month per kind, before the billing run."""

    month: date
    kinds: dict[LineKind, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.kinds.values(), ZERO)

    def by_kind(self, kind: LineKind) -> Decimal:
        return self.kinds.get(kind, ZERO)


async def estimate(repo: SpendingRepository, month: date) -> Estimate:
    """The month not billed yet, from its roll-ups: fees and concession tax, plus the charges
    counted so far rounded per account and kind (as the billing run rounds them), summed per
    kind as they are kept."""
    return Estimate(month, await repo.estimate(month))


async def estimate_by_account(repo: SpendingRepository, month: date) -> dict[int, Decimal]:
    """The month not billed yet per billing account, its kinds together, rounded the same."""
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in await repo.estimate_by_account(month):
        amounts[row.billing_account_id] += row.fees + round_cents(row.charges)
    return amounts


def _money(value: Decimal) -> Money:
    return Money.eur(value)


def _line(total: LineTotal) -> LineSpending:
    return LineSpending(
        msisdn=total.msisdn,
        kind=total.kind,
        billing_account=total.billing_account,
        total=_money(total.amount),
    )


def _group(
    key: str,
    per_month: dict[date, Decimal],
    months: list[date],
    estimated: date | None,
    **extra: object,
) -> SpendingGroup:
    return SpendingGroup(
        key=key,
        total=_money(sum(per_month.values(), ZERO)),
        months=[
            GroupMonth(
                month=month_key(m), estimate=m == estimated, amount=_money(per_month.get(m, ZERO))
            )
            for m in months
        ],
        **extra,
    )


async def trend(
    session: AsyncSession,
    scope: Scope,
    span: MonthRange,
    today: date,
    group_by: GroupBy = GroupBy.month,
    page: Page | None = None,
) -> tuple[SpendingTrend, int]:
    """The trend and, for group_by=line, how many lines were billed in the range."""
    repo = SpendingRepository(session, scope)
    current = today.replace(day=1)
    billed_last = min(span.last, add_months(current, -1))
    last_day = month_end(billed_last)
    kinds: dict[LineKind, dict[date, Decimal]] = {k: defaultdict(lambda: ZERO) for k in LineKind}
    for month, kind, amount in await repo.by_month_and_kind(span.first, last_day):
        kinds[kind][month] += amount
    guess = await estimate(repo, current) if span.last == current else None
    if guess:
        for kind in LineKind:
            kinds[kind][current] = guess.by_kind(kind)
    months = span.months
    groups, count = await _groups(repo, span, last_day, months, guess, group_by, kinds, page)
    top = await repo.by_line(span.first, last_day, limit=TOP_LINES)
    billed = sum((v for kind in kinds.values() for m, v in kind.items() if m != current), ZERO)
    return SpendingTrend(
        from_=month_key(span.first),
        to=month_key(span.last),
        group_by=group_by,
        months=[_month_row(m, kinds, m == current) for m in months],
        groups=groups,
        top_lines=[_line(t) for t in top],
        billed=_money(billed),
        estimated=_money(guess.total if guess else ZERO),
    ), count


def _month_row(
    month: date, kinds: dict[LineKind, dict[date, Decimal]], estimated: bool
) -> MonthSpending:
    mobile, fixed = kinds[LineKind.mobile].get(month, ZERO), kinds[LineKind.fixed].get(month, ZERO)
    return MonthSpending(
        month=month_key(month),
        estimate=estimated,
        mobile=_money(mobile),
        fixed=_money(fixed),
        total=_money(mobile + fixed),
    )


async def _groups(
    repo: SpendingRepository,
    span: MonthRange,
    last_day: date,
    months: list[date],
    guess: Estimate | None,
    group_by: GroupBy,
    kinds: dict[LineKind, dict[date, Decimal]],
    page: Page | None,
) -> tuple[list[SpendingGroup], int]:
    estimated = guess.month if guess else None
    if group_by is GroupBy.kind:
        return [_group(k.value, kinds[k], months, estimated, kind=k) for k in LineKind], 2
    if group_by is GroupBy.billing_account:
        codes = await repo.account_codes()
        per_account: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        for month, code, amount in await repo.by_billing_account(span.first, last_day):
            per_account[code][month] += amount
        if guess:
            guessed = await estimate_by_account(repo, guess.month)
            for account_id, code in codes.items():
                if estimate := guessed.get(account_id):
                    per_account[code][guess.month] += estimate
        groups = [
            _group(code, per_account[code], months, estimated, billing_account=code)
            for code in sorted(per_account)
        ]
        return groups, len(groups)
    if group_by is GroupBy.line:
        offset, limit = (page.offset, page.limit) if page else (0, None)
        lines = await repo.by_line(span.first, last_day, offset=offset, limit=limit)
        full = limit is not None and not (offset == 0 and len(lines) < limit)
        count = await repo.count_lines(span.first, last_day) if full else offset + len(lines)
        return [
            SpendingGroup(
                key=t.msisdn, kind=t.kind, billing_account=t.billing_account, total=_money(t.amount)
            )
            for t in lines
        ], count
    return [], len(months)
