"""Usage alerts (SPEC R-U4), decided at import from a line's counters before and after it.

Each kind is sent at most once per line and period: the `sent_alerts` row is inserted
(ignoring conflicts) before the message is queued, so concurrent imports cannot both send.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.alerts.repository import AlertRepository
from linedesk.config import Settings
from linedesk.identity.models import User
from linedesk.inventory.models import Line
from linedesk.kit.i18n import LOCALES, Localizer
from linedesk.kit.phone import LineKind
from linedesk.messaging.models import Channel
from linedesk.messaging.service import NewMessage, enqueue_many, push_recipients
from linedesk.usage.batch import micros
from linedesk.usage.models import AlertKind, SentAlert
from linedesk.usage.rating import Counters, CountersChange, OfferTerms
from linedesk.usage.service import Watched

TENTH = Decimal("0.1")
USAGE_PAGE = "/usage"  # where a pushed alert opens
# The channels of usage alerts, each on until its user switches it off: kept in the same
# `alerts_off` list as the kinds switched off, as "channel:<name>".
CHANNELS = ("in_app", "sms", "push")
CHANNEL_PREFIX = "channel:"
FALLBACK_LANGUAGE = "it"  # a line with no registered user is told in Italian
TEMPLATES = {
    "80": "usage_alert_80",
    "100": "usage_alert_100",
    AlertKind.low_credit: "low_credit",
    AlertKind.roaming_first_use: "roaming_first_use",
    AlertKind.roaming_bill_shock: "roaming_bill_shock",
}


@dataclass(frozen=True)
class Allowance:
    name: str  # data, voice, sms, roaming_data: the templates' word for it
    warn: AlertKind
    full: AlertKind
    terms_field: str
    counters_field: str

    def included(self, terms: OfferTerms) -> int | None:
        value: int | None = getattr(terms, self.terms_field)
        return value

    def used(self, counters: Counters) -> int:
        value: int = getattr(counters, self.counters_field)
        return value


ALLOWANCES = (
    Allowance("data", AlertKind.data_80, AlertKind.data_100, "data_bytes", "data_bytes"),
    Allowance("voice", AlertKind.voice_80, AlertKind.voice_100, "voice_seconds", "voice_seconds"),
    Allowance("sms", AlertKind.sms_80, AlertKind.sms_100, "sms", "sms_count"),
    Allowance(
        "roaming_data",
        AlertKind.roaming_data_80,
        AlertKind.roaming_data_100,
        "roaming_data_bytes",
        "roaming_data_bytes",
    ),
)


@dataclass(frozen=True)
class Thresholds:
    """The money thresholds of the alerts, in EUR (the settings' `low_credit_threshold` and
    `roaming_charge_alert`): the edges build them from their settings and pass them in."""

    low_credit: Decimal = Settings.model_fields["low_credit_threshold"].default
    bill_shock: Decimal = Settings.model_fields["roaming_charge_alert"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> "Thresholds":
        return cls(settings.low_credit_threshold, settings.roaming_charge_alert)


@dataclass(frozen=True)
class Crossing:
    """A threshold crossed by an import; `allowance` is set for the 80 % and 100 % kinds."""

    kind: AlertKind
    allowance: Allowance | None = None


def _crossed(before: int | Decimal, after: int | Decimal, threshold: int | Decimal) -> bool:
    return before < threshold <= after


def allowance_crossings(terms: OfferTerms, before: Counters, after: Counters) -> list[Crossing]:
    """80 % and 100 % of each limited, non-zero allowance (usage only grows in a period)."""
    out = []
    for allowance in ALLOWANCES:
        included = allowance.included(terms)
        if not included:  # unlimited (None) or not part of the offer (0)
            continue
        old, new = allowance.used(before), allowance.used(after)
        # Integer arithmetic: 80 % of 1 byte more than 0.8 × the allowance, exactly.
        if _crossed(old * 5, new * 5, included * 4):
            out.append(Crossing(allowance.warn, allowance))
        if _crossed(old, new, included):
            out.append(Crossing(allowance.full, allowance))
    return out


def money_crossings(
    before: Counters, after: Counters, *, low_credit: Decimal, bill_shock: Decimal
) -> list[Crossing]:
    out = []
    if (
        before.credit is not None
        and after.credit is not None
        and before.credit > low_credit >= after.credit
    ):
        out.append(Crossing(AlertKind.low_credit))
    if before.roaming_charges <= bill_shock < after.roaming_charges:
        out.append(Crossing(AlertKind.roaming_bill_shock))
    return out


def _roamed(counters: Counters) -> bool:
    return counters.roaming_events > 0


def crossings(
    terms: OfferTerms, before: Counters, after: Counters, thresholds: Thresholds
) -> list[Crossing]:
    """Every threshold crossed from `before` to `after`: pure, so an import asks it for each
    line it touched at no cost, and goes to the database only for the lines that crossed."""
    out = allowance_crossings(terms, before, after)
    out += money_crossings(
        before, after, low_credit=thresholds.low_credit, bill_shock=thresholds.bill_shock
    )
    if not _roamed(before) and _roamed(after):
        out.append(Crossing(AlertKind.roaming_first_use))
    return out


def may_cross(sums: pl.DataFrame, thresholds: Thresholds) -> pl.Series:
    """Which line periods of an import crossed a threshold of `crossings`, decided in columns
    (a batch's `usage.batch.Totals.counters`: what each line period held before, what the
    batch added, its allowances and credit, charges in micro-euros), so that only those are
    built and evaluated one by one."""
    crossed = []
    for name, used in (
        ("data", "data_bytes"),
        ("voice", "voice_seconds"),
        ("sms", "sms_count"),
        ("roam", "roaming_data_bytes"),
    ):
        included, old = pl.col(f"allow_{name}"), pl.col(f"c_{name}").fill_null(0)
        new = old + pl.col(used)
        crossed.append(
            (included > 0)
            & (
                ((old * 5 < included * 4) & (included * 4 <= new * 5))
                | ((old < included) & (included <= new))
            )
        )
    low = micros(thresholds.low_credit)
    crossed.append(
        pl.col("credit0").is_not_null()
        & (pl.col("credit_before") > low)
        & (pl.col("credit_after") <= low)
    )
    shock, old_charges = micros(thresholds.bill_shock), pl.col("c_roaming_charges")
    crossed.append(
        (old_charges.fill_null(0) <= shock)
        & (old_charges.fill_null(0) + pl.col("roaming_charges") > shock)
    )
    crossed.append((pl.col("c_roaming_events").fill_null(0) == 0) & (pl.col("roaming_events") > 0))
    return sums.select(pl.any_horizontal(crossed).fill_null(False)).to_series()


async def evaluate_alerts(
    session: AsyncSession,
    now: datetime,
    line: Line,
    period: date,
    terms: OfferTerms,
    before: Counters,
    after: Counters,
    thresholds: Thresholds,
) -> None:
    """The alerts of one line's period (see `evaluate_changes`)."""
    change = CountersChange(line, period, terms, before, after)
    await evaluate_changes(session, now, [change], thresholds)


async def evaluate_changes(
    session: AsyncSession,
    now: datetime,
    changes: Sequence[CountersChange],
    thresholds: Thresholds,
) -> None:
    """Tell each line's user of each alert whose threshold an import crossed, once per line,
    period and kind, unless they switched that kind off: by SMS to the line (a mobile one)
    and by push to their browsers, unless they switched that channel off. In-app, the page
    of alerts shows what was sent (`sent_alerts`). A whole batch costs a
    handful of queries, and none when nothing crossed. Flushes only."""
    crossed = [
        (change, found)
        for change in changes
        if (found := crossings(change.terms, change.before, change.after, thresholds))
    ]
    if not crossed:
        return
    repo = AlertRepository(session)
    users = await repo.users_of({change.line.id for change, _ in crossed})
    switched_off = await repo.switches_of({user_id for user_id, _ in users.values()})

    def off_of(user_id: int | None) -> set[str]:
        return switched_off.get(user_id, set()) if user_id is not None else set()

    wanted: list[tuple[CountersChange, Crossing, str, int | None]] = []
    for change, found in crossed:
        user_id, language = users.get(change.line.id, (None, FALLBACK_LANGUAGE))
        off = off_of(user_id)
        kept = [c for c in found if c.kind.value not in off]
        # Crossing 80 % and 100 % at once: the 100 % message says it all.
        full = {c.allowance.name for c in kept if c.allowance and c.kind is c.allowance.full}
        wanted += [
            (change, c, language, user_id)
            for c in kept
            if not (c.allowance and c.kind is c.allowance.warn and c.allowance.name in full)
        ]
    claimed = await _claim(session, now, [(change, c) for change, c, _, _ in wanted])
    told = [w for w in wanted if (w[0].line.id, w[0].period, w[1].kind) in claimed]
    pushed_to = {user_id for _, _, _, user_id in told if "channel:push" not in off_of(user_id)}
    recipients = await push_recipients(session, {u for u in pushed_to if u is not None})
    messages: list[NewMessage] = []
    for change, crossing, language, user_id in told:
        off = off_of(user_id)
        payload = alert_payload(
            crossing, language, change.line.msisdn, change.terms, change.after, thresholds
        )
        template = template_of(crossing)
        if "channel:sms" not in off and change.line.kind is LineKind.mobile:
            # no SMS to a fixed line; its offers have no limited allowances anyway
            messages.append(
                NewMessage(
                    Channel.sms,
                    change.line.msisdn,
                    template,
                    language,
                    payload,
                    change.line.company_id,
                )
            )
        if user_id is not None and user_id in pushed_to:
            messages += [
                NewMessage(
                    Channel.push,
                    subscription,
                    template,
                    language,
                    payload | {"url": USAGE_PAGE},
                    change.line.company_id,
                )
                for subscription in recipients.get(user_id, [])
            ]
    await enqueue_many(session, messages, now=now)
    await session.flush()


def alerts_hook(config: Settings | Thresholds) -> Watched:
    """What an import is given as `on_counters`: the alerts, with the settings' thresholds."""
    thresholds = config if isinstance(config, Thresholds) else Thresholds.from_settings(config)

    async def evaluate(
        session: AsyncSession, now: datetime, changes: Sequence[CountersChange]
    ) -> None:
        await evaluate_changes(session, now, changes, thresholds)

    async def picks(_: AsyncSession, sums: pl.DataFrame) -> pl.Series:
        return may_cross(sums, thresholds)

    return Watched(evaluate, picks)


async def _claim(
    session: AsyncSession, now: datetime, wanted: Sequence[tuple[CountersChange, Crossing]]
) -> set[tuple[int, date, AlertKind]]:
    """Record the alerts for their periods; only those not sent before (by anyone) come
    back: the table's key makes it once per line, period and kind, even under concurrency."""
    rows = [
        {
            "line_id": change.line.id,
            "period": change.period,
            "kind": crossing.kind,
            "company_id": change.line.company_id,
            "sent_at": now,
        }
        for change, crossing in wanted
    ]
    return await AlertRepository(session).claim(rows)


def template_of(crossing: Crossing) -> str:
    allowance = crossing.allowance
    if allowance is not None:
        return TEMPLATES["100" if crossing.kind is allowance.full else "80"]
    return TEMPLATES[crossing.kind]


def alert_payload(
    crossing: Crossing,
    language: str,
    msisdn: str,
    terms: OfferTerms,
    after: Counters,
    thresholds: Thresholds,
) -> dict[str, Any]:
    """What the templates show, in human units and the reader's number format."""
    payload: dict[str, Any] = {"msisdn": msisdn, "kind": crossing.kind.value}
    if crossing.allowance is not None:
        name = crossing.allowance.name
        payload |= {
            "allowance": name,
            "used": quantity_text(name, crossing.allowance.used(after), language),
            "included": quantity_text(name, crossing.allowance.included(terms) or 0, language),
        }
    elif crossing.kind is AlertKind.low_credit:
        payload |= {
            "credit": money_text(after.credit or Decimal(0), language),
            "threshold": money_text(thresholds.low_credit, language),
        }
    elif crossing.kind is AlertKind.roaming_bill_shock:
        payload |= {
            "charges": money_text(after.roaming_charges, language),
            "threshold": money_text(thresholds.bill_shock, language),
        }
    else:
        roaming = terms.roaming_data_bytes
        payload["roaming_included"] = (
            None if roaming is None else quantity_text("roaming_data", roaming, language)
        )
    return payload


@lru_cache(maxsize=16)
def _l10n(language: str) -> Localizer:
    return Localizer(language if language in LOCALES else "en")


@lru_cache(maxsize=10_000)  # an import's alerts repeat the same allowances and thresholds
def _decimal_text(value: Decimal | float, places: int, language: str) -> str:
    return _l10n(language).number(value, places)


def quantity_text(allowance: str, quantity: int, language: str) -> str:
    """GB with one decimal for data, whole minutes for voice, a count for SMS."""
    if allowance in ("data", "roaming_data"):
        # rounded as the text rounds it, so that the cache holds one entry per tenth of a GB
        tenths = (Decimal(quantity) / 10**9).quantize(TENTH)
        return f"{_decimal_text(tenths, 1, language)} GB"
    if allowance == "voice":
        return f"{_decimal_text(quantity // 60, 0, language)} min"
    return f"{_decimal_text(quantity, 0, language)} SMS"


def money_text(amount: Decimal, language: str) -> str:
    return _l10n(language).money_text(amount, "EUR")


async def alert_switches(session: AsyncSession, user: User) -> dict[AlertKind, bool]:
    """Every alert kind, on unless the user switched it off."""
    off = (await AlertRepository(session).switches_of({user.id})).get(user.id, set())
    return {kind: kind.value not in off for kind in AlertKind}


async def alert_channels(session: AsyncSession, user: User) -> dict[str, bool]:
    """Every channel of usage alerts (in_app, sms, push), on unless the user switched it off."""
    off = (await AlertRepository(session).switches_of({user.id})).get(user.id, set())
    return {channel: CHANNEL_PREFIX + channel not in off for channel in CHANNELS}


async def set_alert_switches(
    session: AsyncSession,
    user: User,
    changes: dict[AlertKind, bool],
    now: datetime,
    channels: dict[str, bool] | None = None,
) -> dict[AlertKind, bool]:
    """Apply the switches given (kinds, and channels if given); insert the user's
    preferences or update only their `alerts_off`, so the widget settings kept in the same
    row are left alone."""
    switches = await alert_switches(session, user) | changes
    channel_switches = await alert_channels(session, user) | {
        name: on for name, on in (channels or {}).items() if name in CHANNELS
    }
    alerts_off = [kind.value for kind, on in switches.items() if not on]
    alerts_off += [CHANNEL_PREFIX + name for name, on in channel_switches.items() if not on]
    await AlertRepository(session).save_switches(user, alerts_off, now)
    return switches


async def recent_alerts(session: AsyncSession, line_id: int, limit: int = 20) -> list[SentAlert]:
    """The alerts sent for a line, newest first: the in-app channel."""
    return await AlertRepository(session).recent(line_id, limit)
