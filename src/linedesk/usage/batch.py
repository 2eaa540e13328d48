"""Rating a whole batch as columns (Polars): the same result as `rating.rate` applied record
by record in start order, without per-record Python work.

Why it can be columnar: what a record finds in its allowance depends only on the quantities
before it in its line's period (a running sum), and a prepaid credit only falls, so the
credit after a record is `max(0, credit - charges so far)`. Charges are whole micro-euros
(the quantum of `rating.CHARGE_QUANTUM`), computed in 128-bit integers and rounded half up
like the reference."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import gcd

import polars as pl

from linedesk.usage.rating import BYTES_PER_MB, SECONDS_PER_MINUTE, Counters, OfferTerms
from linedesk.usage.schemas import UsageRecordIn

Key = tuple[int, date]  # line id, period
MICRO = 6
IN_BUNDLE = ("national", "eu_roaming")
FRAME_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "record_id": pl.String(),
    "line": pl.String(),
    "started_at": pl.Datetime("us", "UTC"),
    "type": pl.String(),
    "quantity": pl.Int64(),
    "destination": pl.String(),
}
TYPES = ("data", "voice", "sms")
USED = {"data": "data_bytes", "voice": "voice_seconds", "sms": "sms_count"}
UNITS = {"data": BYTES_PER_MB, "voice": SECONDS_PER_MINUTE, "sms": 1}


def frame_of(records: Sequence[tuple[int, UsageRecordIn]]) -> pl.DataFrame:
    """Parsed records (row number, record) as the batch's columns."""
    return pl.DataFrame(
        {
            "row": [row for row, _ in records],
            "record_id": [r.record_id for _, r in records],
            "line": [r.line for _, r in records],
            "started_at": [r.started_at for _, r in records],
            "type": [r.type.value for _, r in records],
            "quantity": [r.quantity for _, r in records],
            "destination": [r.destination.value for _, r in records],
        },
        schema=FRAME_SCHEMA,
    )


def micros(amount: Decimal) -> int:
    return int(amount.scaleb(MICRO))


def from_micros(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-MICRO)


def _ratio(rate: Decimal, unit: int) -> tuple[int, int]:
    """`rate / unit` in micro-euros per unit as an exact fraction (numerator, denominator)."""
    sign, digits, exponent = rate.as_tuple()
    assert isinstance(exponent, int)
    numerator = int("".join(map(str, digits)) or "0") * (-1 if sign else 1) * 10**MICRO
    denominator = unit
    if exponent >= 0:
        numerator *= 10**exponent
    else:
        denominator *= 10**-exponent
    common = gcd(numerator, denominator) or 1
    return numerator // common, denominator // common


def _terms_frame(terms: dict[int, OfferTerms]) -> pl.DataFrame:
    rows = []
    for offer_id, t in terms.items():
        rates = {"data": t.rate_data_per_mb, "voice": t.rate_voice_per_minute, "sms": t.rate_sms}
        row: dict[str, object] = {
            "offer_id": offer_id,
            "allow_data": t.data_bytes,
            "allow_voice": t.voice_seconds,
            "allow_sms": t.sms,
            "allow_roam": t.roaming_data_bytes,
        }
        for name in TYPES:
            row[f"num_{name}"], row[f"den_{name}"] = _ratio(rates[name], UNITS[name])
        rows.append(row)
    schema = {
        "offer_id": pl.Int64,
        **{f"allow_{n}": pl.Int64 for n in (*TYPES, "roam")},
        **{f"{p}_{n}": pl.Int128 for n in TYPES for p in ("num", "den")},
    }
    return pl.DataFrame(rows, schema=schema)


START_SCHEMA: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "period": pl.Date(),
    "c_data": pl.Int64(),
    "c_voice": pl.Int64(),
    "c_sms": pl.Int64(),
    "c_roam": pl.Int64(),
    "c_charges": pl.Int128(),
    "c_roaming_charges": pl.Int128(),
    "c_roaming_events": pl.Int64(),
}


def start_frame(counters: dict[Key, Counters]) -> pl.DataFrame:
    """What line periods held before a batch, as the columns `rate_frame` joins (charges in
    micro-euros); a line period missing from it held nothing. The import reads these
    columns straight from the database; this builds them from the reference's `Counters`."""
    keys = list(counters)
    return pl.DataFrame(
        {
            "line_id": [k[0] for k in keys],
            "period": [k[1] for k in keys],
            **{f"c_{n}": [getattr(counters[k], USED[n]) for k in keys] for n in TYPES},
            "c_roam": [counters[k].roaming_data_bytes for k in keys],
            "c_charges": [micros(counters[k].charges) for k in keys],
            "c_roaming_charges": [micros(counters[k].roaming_charges) for k in keys],
            "c_roaming_events": [counters[k].roaming_events for k in keys],
        },
        schema=START_SCHEMA,
    )


def _credit_frame(balances: dict[int, Decimal]) -> pl.DataFrame:
    return pl.DataFrame(
        {"line_id": list(balances), "credit0": [micros(b) for b in balances.values()]},
        schema={"line_id": pl.Int64, "credit0": pl.Int128},
    )


def _by_type(prefix: str) -> pl.Expr:
    t = pl.col("type")
    return (
        pl.when(t == "data")
        .then(pl.col(f"{prefix}_data"))
        .when(t == "voice")
        .then(pl.col(f"{prefix}_voice"))
        .otherwise(pl.col(f"{prefix}_sms"))
    )


def rate_frame(
    frame: pl.DataFrame,
    terms: dict[int, OfferTerms],
    counters: dict[Key, Counters] | pl.DataFrame,
    balances: dict[int, Decimal],
) -> pl.DataFrame:
    """Each record (columns line_id, offer_id, period, started_at, record_id, type,
    destination, quantity) with `in_bundle`, `charge` (micro-euros) and, on prepaid lines,
    the credit before and after it; sorted by line, start time and record id. `counters`:
    what the line periods held before, as `Counters` or as `start_frame` columns."""
    start = counters if isinstance(counters, pl.DataFrame) else start_frame(counters)
    credit = _credit_frame(balances)
    quantity, dest = pl.col("quantity"), pl.col("destination")
    roaming_data = (pl.col("type") == "data") & (dest == "eu_roaming")
    eligible = pl.when(dest.is_in(IN_BUNDLE)).then(quantity).otherwise(0)
    out = (
        frame.sort("line_id", "started_at", "record_id")
        .join(_terms_frame(terms), on="offer_id", how="left", maintain_order="left")
        .join(start, on=["line_id", "period"], how="left", maintain_order="left")
        .join(credit, on="line_id", how="left", maintain_order="left")
        .with_columns(eligible=eligible, roam=pl.when(roaming_data).then(quantity).otherwise(0))
        .with_columns(
            used=_by_type("c").fill_null(0)
            - pl.col("eligible")
            + pl.col("eligible").cum_sum().over("line_id", "period", "type"),
            roam_used=pl.col("c_roam").fill_null(0)
            - pl.col("roam")
            + pl.col("roam").cum_sum().over("line_id", "period"),
        )
        .with_columns(
            left=(_by_type("allow") - pl.col("used")).clip(lower_bound=0),
            roam_left=(pl.col("allow_roam") - pl.col("roam_used")).clip(lower_bound=0),
        )
        .with_columns(
            left=pl.when(roaming_data)
            .then(pl.min_horizontal("left", "roam_left"))
            .otherwise(pl.col("left"))
        )
        .with_columns(
            in_bundle=pl.when(~dest.is_in(IN_BUNDLE))
            .then(0)
            .when(pl.col("left").is_null())
            .then(quantity)
            .otherwise(pl.min_horizontal(quantity, pl.col("left")))
        )
        .with_columns(excess=(quantity - pl.col("in_bundle")).cast(pl.Int128))
    )
    numerator, denominator = _by_type("num"), _by_type("den")
    out = out.with_columns(
        charge=(2 * pl.col("excess") * numerator + denominator) // (2 * denominator)
    )
    spent = pl.col("charge").cum_sum().over("line_id")
    return out.with_columns(
        credit_before=(pl.col("credit0") - spent + pl.col("charge")).clip(lower_bound=0),
        credit_after=(pl.col("credit0") - spent).clip(lower_bound=0),
    )


@dataclass
class Totals:
    """What a rated batch adds: per line and period (`counters`: the sums, charges in
    micro-euros, and the credit before and after), per line, day and type (`daily`), and
    each prepaid line's credit (before, after)."""

    counters: pl.DataFrame
    daily: pl.DataFrame  # line_id, day, type, quantity, charge (micro-euros)
    credit: dict[int, tuple[Decimal, Decimal]]


COUNTED = (
    "data_bytes",
    "voice_seconds",
    "sms_count",
    "roaming_data_bytes",
    "charges",
    "roaming_charges",
    "roaming_events",
)


# What a line's period held before the batch, its allowances (null: unlimited) and its
# starting credit (null: not prepaid), beside the sums in `Totals.counters`: enough to tell
# in columns which line periods crossed a threshold (`alerts.service.may_cross`).
STARTED = (
    "c_charges",
    "c_data",
    "c_voice",
    "c_sms",
    "c_roam",
    "c_roaming_charges",
    "c_roaming_events",
    "allow_data",
    "allow_voice",
    "allow_sms",
    "allow_roam",
    "credit0",
)


def totals(rated: pl.DataFrame, balances: dict[int, Decimal]) -> Totals:
    t, roaming = pl.col("type"), pl.col("destination") == "eu_roaming"
    counters = rated.group_by("line_id", "period", maintain_order=True).agg(
        *(pl.col("eligible").filter(t == n).sum().alias(USED[n]) for n in TYPES),
        pl.col("roam").sum().alias("roaming_data_bytes"),
        pl.col("charge").sum().alias("charges"),
        pl.col("charge").filter(roaming).sum().alias("roaming_charges"),
        roaming.sum().cast(pl.Int64).alias("roaming_events"),
        pl.col("credit_before").first(),
        pl.col("credit_after").last(),
        *(pl.col(name).first() for name in STARTED),
    )
    daily = rated.group_by("line_id", "day", "type").agg(
        pl.col("quantity").sum(), pl.col("charge").sum()
    )
    last = (
        rated.filter(pl.col("credit0").is_not_null())
        .group_by("line_id")
        .agg(pl.col("credit_after").last())
    )
    credit = {
        line_id: (balances[line_id], from_micros(value)) for line_id, value in last.iter_rows()
    }
    return Totals(counters, daily, credit)


def changes(
    done: Totals, balances: dict[int, Decimal], only: pl.Series | None = None
) -> tuple[dict[Key, Counters], dict[Key, Counters]]:
    """Each line's period before and after the batch, as the reference's `Counters` (only
    the line periods where `only` is true, if given), from the columns of `done.counters`."""
    before, after = {}, {}
    sums = done.counters if only is None else done.counters.filter(only)
    held = ("c_data", "c_voice", "c_sms", "c_roam", "c_charges", "c_roaming_charges")
    for (
        line_id,
        period,
        data,
        voice,
        sms,
        roam,
        charges,
        roam_charges,
        events,
        credit_before,
        credit_after,
        *start,
    ) in (
        sums.select(
            "line_id",
            "period",
            *COUNTED,
            "credit_before",
            "credit_after",
            *(pl.col(name).fill_null(0) for name in (*held, "c_roaming_events")),
        )
    ).iter_rows():
        key = (line_id, period)
        prepaid = line_id in balances
        first = Counters(
            start[0],
            start[1],
            start[2],
            start[3],
            from_micros(start[4]),
            from_micros(start[5]),
            start[6],
            from_micros(credit_before) if prepaid else None,
        )
        before[key] = first
        after[key] = Counters(
            first.data_bytes + data,
            first.voice_seconds + voice,
            first.sms_count + sms,
            first.roaming_data_bytes + roam,
            first.charges + from_micros(charges),
            first.roaming_charges + from_micros(roam_charges),
            first.roaming_events + events,
            from_micros(credit_after) if prepaid else None,
        )
    return before, after
