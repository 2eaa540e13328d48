"""Spending caps (SPEC R-L4), decided from the usage import's counters: at 80 % of a line's
monthly cap on chargeable traffic its holder (by SMS to the line) and the company's managers
(in the app and by e-mail) are told; at 100 % linedesk asks the network to bar chargeable
traffic for the rest of the month; the new period lifts the bar (`lift_bars`, the daily
job). Each step is claimed once per line and period (`SpendingCapStep`) before anything is
sent, so the HTTP import and the stream cannot both act; every step is audited."""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.alerts.service import Thresholds, alerts_hook
from linedesk.config import Settings
from linedesk.inventory.models import Line
from linedesk.kit.bulk import among, chunks, dialect_insert
from linedesk.kit.clock import ROME
from linedesk.kit.phone import LineKind
from linedesk.lineactions.audit import audit_line
from linedesk.lineactions.models import CapStep, LineControl, SpendingCapStep
from linedesk.lineactions.offers import next_period
from linedesk.lineactions.service import request_bar
from linedesk.messaging.models import Channel
from linedesk.messaging.service import NewMessage, enqueue_many
from linedesk.notifications.models import NotificationKind
from linedesk.notifications.service import Event, announce
from linedesk.usage.batch import micros
from linedesk.usage.rating import CountersChange
from linedesk.usage.service import Watched

BAR_REASON = "spending cap reached"
LIFT_REASON = "new period: spending cap bar lifted"
TEMPLATES = {CapStep.warned: "spending_cap_80", CapStep.barred: "spending_cap_100"}
KINDS = {
    CapStep.warned: NotificationKind.spending_cap_warning,
    CapStep.barred: NotificationKind.spending_cap_reached,
}


def cap_steps(cap: Decimal, before: Decimal, after: Decimal) -> list[CapStep]:
    """The steps crossed from `before` to `after` charges: 80 % then 100 % (both at once:
    only the bar, whose message says it all)."""
    if before < cap <= after:
        return [CapStep.barred]
    if before * 5 < cap * 4 <= after * 5:
        return [CapStep.warned]
    return []


async def may_reach_cap(session: AsyncSession, sums: pl.DataFrame) -> pl.Series:
    """The line periods of a batch whose charges crossed a step of `cap_steps` (80 % or 100 %
    of their line's spending cap), decided in columns (a batch's `usage.batch.Totals.counters`:
    the charges before and added, in micro-euros) from the caps of the lines it charged."""
    charged = sums.filter(pl.col("charges") > 0)["line_id"].unique().to_list()
    caps = await _caps(session, set(charged))
    if not caps:
        return pl.Series(values=[False] * sums.height, dtype=pl.Boolean)
    cap = pl.col("line_id").replace_strict(
        {line_id: micros(cap) for line_id, cap in caps.items()}, default=None, return_dtype=pl.Int64
    )
    before = pl.col("c_charges").fill_null(0)
    after = before + pl.col("charges")
    crossed = ((before < cap) & (cap <= after)) | ((before * 5 < cap * 4) & (cap * 4 <= after * 5))
    return sums.select(crossed.fill_null(False)).to_series()


async def _caps(session: AsyncSession, line_ids: set[int]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for part in chunks(list(line_ids), 10_000):
        rows = await session.execute(
            select(LineControl.line_id, LineControl.spending_cap).where(
                among(session, LineControl.line_id, part), LineControl.spending_cap.is_not(None)
            )
        )
        out.update((line_id, cap) for line_id, cap in rows if cap is not None)
    return out


async def _claim(
    session: AsyncSession, now: datetime, wanted: Sequence[tuple[int, int, date, CapStep]]
) -> set[tuple[int, date, CapStep]]:
    """Record the steps; only those nobody took before come back."""
    if not wanted:
        return set()
    statement = (
        dialect_insert(session, SpendingCapStep)
        .values(
            [
                {"line_id": i, "company_id": c, "period": p, "step": s, "at": now}
                for i, c, p, s in wanted
            ]
        )
        .on_conflict_do_nothing(index_elements=["line_id", "period", "step"])
        .returning(SpendingCapStep.line_id, SpendingCapStep.period, SpendingCapStep.step)
    )
    return {(i, p, CapStep(s)) for i, p, s in await session.execute(statement)}


async def evaluate_caps(
    session: AsyncSession, now: datetime, changes: Sequence[CountersChange]
) -> None:
    """The spending-cap steps an import's counters crossed (a counters hook)."""
    caps = await _caps(session, {change.line.id for change in changes})
    if not caps:
        return
    crossed = [
        (change, step)
        for change in changes
        if change.line.id in caps
        for step in cap_steps(caps[change.line.id], change.before.charges, change.after.charges)
    ]
    claimed = await _claim(
        session,
        now,
        [(c.line.id, c.line.company_id, c.period, step) for c, step in crossed],
    )
    done = [(c, step) for c, step in crossed if (c.line.id, c.period, step) in claimed]
    for change, step in done:
        await _act(session, now, change, step, caps[change.line.id])
    await session.flush()


async def _act(
    session: AsyncSession, now: datetime, change: CountersChange, step: CapStep, cap: Decimal
) -> None:
    line = await session.get_one(Line, change.line.id)
    params = {
        "msisdn": line.msisdn,
        "cap": f"{cap:.2f}",
        "charges": f"{change.after.charges:.2f}",
        "period": change.period.isoformat(),
    }
    request_id = None
    if step is CapStep.barred:
        request = await request_bar(session, now, line, bar=True, reason=BAR_REASON)
        request_id = request.id
        await session.execute(
            update(SpendingCapStep)
            .where(
                SpendingCapStep.line_id == line.id,
                SpendingCapStep.period == change.period,
                SpendingCapStep.step == step,
            )
            .values(request_id=request_id)
        )
    await audit_line(
        session,
        line,
        f"spending_cap_{step.value}",
        now=now,
        request_id=request_id,
        cap=params["cap"],
        charges=params["charges"],
        period=params["period"],
    )
    await announce(
        session,
        now,
        [
            Event(
                line.company_id,
                KINDS[step],
                f"{KINDS[step].value}:{line.id}:{change.period}",
                params,
            )
        ],
    )
    if line.kind is LineKind.mobile:
        await enqueue_many(
            session,
            [NewMessage(Channel.sms, line.msisdn, TEMPLATES[step], "it", params, line.company_id)],
            now=now,
        )


def usage_hook(config: Settings | Thresholds) -> Watched:
    """What an import is given as `on_counters`: the usage alerts (with the settings'
    thresholds) and the spending caps."""
    alerts = alerts_hook(config)

    async def both(session: AsyncSession, now: datetime, changes: Sequence[CountersChange]) -> None:
        await alerts.hook(session, now, changes)
        await evaluate_caps(session, now, changes)

    async def picks(session: AsyncSession, sums: pl.DataFrame) -> pl.Series:
        return await alerts.picks(session, sums) | await may_reach_cap(session, sums)

    return Watched(both, picks)


async def lift_bars(session: AsyncSession, now: datetime) -> int:
    """Ask the network to lift each bar a cap put on a month before this one, once per line
    and period (the daily job; safe to run again). Returns how many were asked."""
    period = now.astimezone(ROME).date().replace(day=1)
    barred = await session.execute(
        select(Line, SpendingCapStep.period)
        .join(SpendingCapStep, SpendingCapStep.line_id == Line.id)
        .join(LineControl, LineControl.line_id == Line.id)
        .where(
            SpendingCapStep.step == CapStep.barred,
            SpendingCapStep.period < period,
            LineControl.cap_barred.is_(True),
        )
        .order_by(Line.id)
    )
    lines = {line.id: line for line, barred_in in barred if next_period(barred_in) <= period}
    claimed = await _claim(
        session, now, [(i, line.company_id, period, CapStep.lifted) for i, line in lines.items()]
    )
    for line_id, _, _ in sorted(claimed):
        line = lines[line_id]
        request = await request_bar(session, now, line, bar=False, reason=LIFT_REASON)
        await audit_line(
            session,
            line,
            "spending_cap_lifted",
            now=now,
            request_id=request.id,
            period=period.isoformat(),
        )
    await session.flush()
    return len(claimed)
