"""What the pages show of the counters: quantities in the user's locale, gauges, the chart."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from linedesk.dashboard.schemas import Allowance, DayUsage, Unit
from linedesk.dashboard.service import days_of
from linedesk.kit.i18n import Localizer
from linedesk.usage.models import UsageType

GB, MB = 1_000_000_000, 1_000_000
CHART_WIDTH, CHART_HEIGHT = 640, 160
UNIT_OF = {UsageType.data: Unit.bytes, UsageType.voice: Unit.seconds, UsageType.sms: Unit.messages}


def quantity(l10n: Localizer, unit: Unit, value: int) -> str:
    if unit is Unit.bytes:
        if value >= GB:
            return f"{l10n.number(value / GB, 2)} GB"
        return f"{l10n.number(value / MB, 1)} MB"
    if unit is Unit.seconds:
        return f"{l10n.number(-(-value // 60))} min"
    return f"{l10n.number(value)} SMS"


@dataclass(frozen=True)
class Gauge:
    kind: str  # data | voice | sms | roaming_data
    used: str
    included: str | None
    remaining: str | None
    value: int
    maximum: int  # for <meter>; 0 when unlimited
    percent: int


def gauge(l10n: Localizer, kind: str, allowance: Allowance) -> Gauge:
    unit, maximum = allowance.unit, allowance.included or 0
    percent = min(100, round(100 * allowance.used / maximum)) if maximum else 0
    return Gauge(
        kind=kind,
        used=quantity(l10n, unit, allowance.used),
        included=None if allowance.included is None else quantity(l10n, unit, allowance.included),
        remaining=None
        if allowance.remaining is None
        else quantity(l10n, unit, allowance.remaining),
        value=min(allowance.used, maximum) if maximum else 0,
        maximum=maximum,
        percent=percent,
    )


@dataclass(frozen=True)
class Bar:
    day: date
    label: str  # the day's quantity as text (table and tooltip)
    x: float
    y: float
    width: float
    height: float


def chart(
    l10n: Localizer, days: Iterable[DayUsage], first: date, last: date, usage_type: UsageType
) -> list[Bar]:
    """One bar per day of the range for one type, scaled to the busiest day."""
    per_day: dict[date, int] = defaultdict(int)
    for d in days:
        if d.type is usage_type:
            per_day[d.day] += d.quantity
    every_day = days_of(first, last)
    peak = max(per_day.values(), default=0) or 1
    slot = CHART_WIDTH / len(every_day)
    bars = []
    for n, day in enumerate(every_day):
        height = (CHART_HEIGHT - 10) * per_day[day] / peak
        bars.append(
            Bar(
                day=day,
                label=quantity(l10n, UNIT_OF[usage_type], per_day[day]),
                x=round(n * slot + slot * 0.1, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                height=round(height, 2),
            )
        )
    return bars


@dataclass(frozen=True)
class Tick:
    at: float  # y (value axis) or x (day axis) in the chart's units
    label: str


def value_ticks(
    l10n: Localizer, days: Iterable[DayUsage], usage_type: UsageType, steps: int = 4
) -> list[Tick]:
    """The value axis of `chart`: 0 to the busiest day in `steps` equal parts."""
    per_day: dict[date, int] = defaultdict(int)
    for d in days:
        if d.type is usage_type:
            per_day[d.day] += d.quantity
    peak = max(per_day.values(), default=0)
    if not peak:
        return [Tick(CHART_HEIGHT, quantity(l10n, UNIT_OF[usage_type], 0))]
    return [
        Tick(
            round(CHART_HEIGHT - (CHART_HEIGHT - 10) * n / steps, 2),
            quantity(l10n, UNIT_OF[usage_type], round(peak * n / steps)),
        )
        for n in range(steps + 1)
    ]


def day_ticks(l10n: Localizer, bars: list[Bar], most: int = 8) -> list[Tick]:
    """The day axis: at most `most` labels (1 nov, 5 nov, …), evenly spaced."""
    if not bars:
        return []
    every = max(1, -(-len(bars) // most))
    return [Tick(round(bar.x + bar.width / 2, 2), l10n.day_month(bar.day)) for bar in bars[::every]]
