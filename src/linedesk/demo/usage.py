"""Demo usage: 13 months (the 12 closed months and the current one so far, Europe/Rome) for
the demo's lines, fitting their offers, imported through the real usage import.

Most lines stay well inside their allowances; a few come near or past them, the SME's demo
employee is past 80 % of their data this month, one SME line roams in the EU this month and
prepaid lines start with a top-up. Deterministic for a seed and a `now`.
"""

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.alerts.service import Thresholds, alerts_hook, evaluate_changes
from linedesk.identity.models import User
from linedesk.inventory.models import Company, Line, Offer, PaymentMode, Segment
from linedesk.inventory.service import ImportContext
from linedesk.kit.clock import ROME
from linedesk.kit.phone import LineKind
from linedesk.usage.models import Destination, UsageType
from linedesk.usage.rating import CountersChange, OfferTerms
from linedesk.usage.schemas import UsageRecordIn
from linedesk.usage.service import Watched, import_records, top_up

MONTHS = 13
GB, MB = 10**9, 10**6
BATCH = 5000
STARTING_TOP_UP = Decimal("20.00")
LARGE_LINES_WITH_USAGE = 200  # beyond the default demo's size, only the first lines get usage
# A typical month's use where the offer has no limit (or for spreading the out-of-bundle use).
NOMINAL = {
    UsageType.data: (8 * GB, 60 * GB),
    UsageType.voice: (300 * 60, 1500 * 60),
    UsageType.sms: (5, 60),
}


@dataclass(frozen=True)
class DemoLine:
    msisdn: str
    kind: LineKind
    prepaid: bool
    sme: bool
    activation: date
    terms: OfferTerms
    heavy: bool = False  # past 80 % of its data this month (the demo employee)
    roaming: bool = False  # in the EU for a few days this month


def month_starts(now: datetime, months: int = MONTHS) -> list[date]:
    """The first days of the `months` periods ending with the current one, oldest first."""
    current = now.astimezone(ROME).date().replace(day=1)
    out = [current]
    while len(out) < months:
        out.append((out[-1] - timedelta(days=1)).replace(day=1))
    return out[::-1]


def _next_month(start: date) -> date:
    return (start + timedelta(days=32)).replace(day=1)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), ROME).astimezone(UTC)


class _LineUsage:
    """One line's records, month by month, oldest first."""

    def __init__(self, line: DemoLine, now: datetime, seed: int) -> None:
        self.line, self.now = line, now
        self.rng = random.Random(f"{seed}:{line.msisdn}")
        self.serial = 0

    def records(self) -> Iterator[UsageRecordIn]:
        months = month_starts(self.now)
        for start in months:
            window = (
                max(_at(start), _at(self.line.activation)),
                min(_at(_next_month(start)), self.now - timedelta(minutes=1)),
            )
            if window[0] < window[1]:
                yield from self._month(window, current=start == months[-1])

    def _share(self, usage_type: UsageType, current: bool) -> int:
        """How much of a type the line uses in a month: mostly 15-65 % of the allowance."""
        allowance = self.line.terms.allowance(usage_type)
        if allowance == 0:
            return 0
        if allowance is None:
            return self.rng.randint(*NOMINAL[usage_type])
        roll = self.rng.random()
        if current and self.line.heavy and usage_type is UsageType.data:
            fraction = 0.86
        elif roll < 0.05:
            fraction = self.rng.uniform(1.0, 1.12)  # over the allowance
        elif roll < 0.13:
            fraction = self.rng.uniform(0.8, 0.97)  # near it
        else:
            fraction = self.rng.uniform(0.15, 0.65)
        return int(allowance * fraction)

    def _month(self, window: tuple[datetime, datetime], current: bool) -> Iterator[UsageRecordIn]:
        span = window[1] - window[0]
        days = max(1, round(span / timedelta(days=1)))
        kinds = [UsageType.voice] if self.line.kind is LineKind.fixed else list(UsageType)
        for usage_type in kinds:
            # Few records (the embedded demo's first start stays within seconds): closed
            # months two per type; the current month, for the daily chart, one a day on the
            # SME's lines and every other day elsewhere.
            total = self._share(usage_type, current)
            count = (days if self.line.sme else days // 2) if current else 2
            count = min(max(count, 1), total, 5 if usage_type is UsageType.sms else count)
            yield from self._spread(window, usage_type, total, count, Destination.national)
        if (
            not self.line.prepaid
            and self.line.kind is LineKind.mobile
            and self.line.terms.voice_seconds != 0
            and self.rng.random() < 0.3
        ):
            yield from self._spread(
                window, UsageType.voice, self.rng.randint(60, 900), 1, Destination.international
            )
        if self.line.prepaid and self.rng.random() < 0.5:
            yield from self._spread(
                window, UsageType.voice, self.rng.randint(60, 300), 1, Destination.international
            )
        if current and self.line.roaming:
            yield from self._roaming(window)

    def _roaming(self, window: tuple[datetime, datetime]) -> Iterator[UsageRecordIn]:
        """A few days in the EU at the end of the window: data, calls and an SMS."""
        trip = (max(window[0], window[1] - timedelta(days=4)), window[1])
        allowance = self.line.terms.roaming_data_bytes or 5 * GB
        yield from self._spread(
            trip, UsageType.data, int(allowance * 0.45), 4, Destination.eu_roaming
        )
        yield from self._spread(trip, UsageType.voice, 40 * 60, 5, Destination.eu_roaming)
        yield from self._spread(trip, UsageType.sms, 3, 3, Destination.eu_roaming)

    def _spread(
        self,
        window: tuple[datetime, datetime],
        usage_type: UsageType,
        total: int,
        count: int,
        destination: Destination,
    ) -> Iterator[UsageRecordIn]:
        """`count` records adding up to `total`, at times spread over the window."""
        if count <= 0 or total <= 0:
            return
        weights = [self.rng.uniform(0.5, 1.5) for _ in range(count)]
        scale = total / sum(weights)
        quantities = [int(weight * scale) for weight in weights]
        quantities[-1] += total - sum(quantities)
        step = (window[1] - window[0]) / count
        for index, quantity in enumerate(quantities):
            at = window[0] + step * index + step * self.rng.uniform(0, 0.9)
            self.serial += 1
            yield UsageRecordIn(
                record_id=f"demo-{self.line.msisdn[1:]}-{self.serial:05d}",
                line=self.line.msisdn,
                started_at=at.replace(microsecond=0),
                type=usage_type,
                quantity=quantity,
                destination=destination,
            )


async def demo_lines(session: AsyncSession) -> list[DemoLine]:
    """The lines that get usage: the SME's and the first large-enterprise lines."""
    rows = (
        await session.execute(
            select(Line, Offer, Company.segment)
            .join(Offer, Offer.id == Line.offer_id)
            .join(Company, Company.id == Line.company_id)
            .order_by(Company.segment.desc(), Line.id)
        )
    ).all()  # "sme" before "large"
    employees = set(
        await session.scalars(select(User.main_line_id).where(User.main_line_id.is_not(None)))
    )
    out: list[DemoLine] = []
    roaming_chosen = False
    large = 0
    for line, offer, segment in rows:
        sme = segment is Segment.sme
        if not sme:
            large += 1
            if large > LARGE_LINES_WITH_USAGE:
                continue
        prepaid = line.payment_mode is PaymentMode.prepaid
        terms = OfferTerms.of(offer)
        roams = (
            sme
            and not roaming_chosen
            and not prepaid
            and line.id not in employees
            and line.kind is LineKind.mobile
            and bool(terms.voice_seconds != 0)
        )
        roaming_chosen |= roams
        out.append(
            DemoLine(
                msisdn=line.msisdn,
                kind=line.kind,
                prepaid=prepaid,
                sme=sme,
                activation=line.activation_date,
                terms=terms,
                heavy=sme and line.id in employees and terms.data_bytes is not None,
                roaming=roams,
            )
        )
    return out


def demo_records(lines: Sequence[DemoLine], now: datetime, seed: int) -> Iterator[UsageRecordIn]:
    """Every line's records, line after line, each line's in time order."""
    for line in lines:
        yield from _LineUsage(line, now, seed).records()


async def load_demo_usage(
    session: AsyncSession, ctx: ImportContext, seed: int = 1, thresholds: Thresholds = Thresholds()
) -> int:
    """Import the demo's usage (flushes only); returns the number of records."""
    lines = await demo_lines(session)
    for line in lines:
        if line.prepaid:
            start = _at(month_starts(ctx.now)[0]) - timedelta(days=1)
            await top_up(
                session, start, line.msisdn, STARTING_TOP_UP, f"demo-start-{line.msisdn[1:]}"
            )
    current = month_starts(ctx.now)[-1]

    async def current_alerts(
        session: AsyncSession, now: datetime, changes: Sequence[CountersChange]
    ) -> None:
        # Alerts of months long gone would only fill the demo's mailbox.
        current_changes = [c for c in changes if c.period == current]
        await evaluate_changes(session, now, current_changes, thresholds)

    alerts = Watched(current_alerts, alerts_hook(thresholds).picks)
    total, batch = 0, list[tuple[int, UsageRecordIn]]()
    for record in demo_records(lines, ctx.now, seed):
        batch.append((total + len(batch) + 1, record))
        if len(batch) == BATCH:
            await import_records(session, ctx.now, batch, on_counters=alerts)
            total, batch = total + len(batch), []
    if batch:
        await import_records(session, ctx.now, batch, on_counters=alerts)
    return total + len(batch)


def generate_records(
    msisdns: Sequence[str], count: int, start: datetime, seed: int
) -> Iterator[UsageRecordIn]:
    """`count` plausible national records over the given lines, for benchmarks: a record
    every few seconds from `start`, cycling through the lines; the same seed, the same
    records."""
    rng = random.Random(seed)
    at = start
    for index in range(count):
        at += timedelta(seconds=rng.randint(1, 5))
        roll = rng.random()
        if roll < 0.55:
            usage_type, quantity = UsageType.data, rng.randint(100_000, 200 * MB)
        elif roll < 0.9:
            usage_type, quantity = UsageType.voice, rng.randint(5, 900)
        else:
            usage_type, quantity = UsageType.sms, 1
        yield UsageRecordIn(
            record_id=f"bench-{seed}-{index}",
            line=msisdns[index % len(msisdns)],
            started_at=at,
            type=usage_type,
            quantity=quantity,
        )
