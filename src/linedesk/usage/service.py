"""Usage import (SPEC R-U1): rate new records against each line's offer and keep the counters,
the daily totals and the prepaid credit up to date, a batch at a time, in bulk.

A batch is all or nothing: any bad row rejects it with every bad row named. Records already
imported (by `record_id`) are skipped, so importing a file again adds nothing, also when the
same file is imported several times at once. A batch is rated as columns (`usage.batch`) and
written in bulk (`kit.bulk`). Services flush and never commit: the CLI command or the request
owns each batch's transaction, except the transactions a batch written side by side opens for
its shares (`import_frame`'s `side_by_side`: the caller hands over its sessionmaker).
"""

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.errors import Conflict, NotFound, ValidationFailed
from linedesk.inventory.models import Line, LineStatus, Offer, PaymentMode
from linedesk.inventory.service import ImportRejected
from linedesk.kit.bulk import (
    among,
    chunks,
    copy_frame_staged,
    copy_query_csv,
    dialect_insert,
    execute_sql,
    existing,
    insert_ignore,
    is_postgres,
    upsert_add,
    upsert_add_columns,
)
from linedesk.kit.csvfile import RowError
from linedesk.kit.locks import lock_key
from linedesk.kit.money import round_cents
from linedesk.kit.phone import E164_ITALIAN, InvalidNumber, LineKind, stored_number
from linedesk.usage.batch import (
    COUNTED,
    START_SCHEMA,
    Totals,
    changes,
    frame_of,
    from_micros,
    rate_frame,
    start_frame,
    totals,
)
from linedesk.usage.files import Batch
from linedesk.usage.models import (
    DailyUsage,
    LineCounter,
    PrepaidBalance,
    PrepaidTopUp,
    SpendingAccount,
    SpendingEstimate,
    UsageRecord,
)
from linedesk.usage.rating import Counters, CountersChange, LineFacts, OfferTerms
from linedesk.usage.schemas import ImportSummary, UsageRecordIn

# The caller's hook for changed counters (the edges pass the usage alerts, `alerts_hook`).
CountersHook = Callable[[AsyncSession, datetime, Sequence[CountersChange]], Awaitable[None]]


@dataclass(frozen=True)
class Watched:
    """A counters hook told only about the line periods that `picks` selects from the batch's
    counters as columns (`usage.batch.Totals.counters`: the sums, and `STARTED`), in the
    batch's transaction (it may read what it needs to decide); the others are never built
    in Python. `picks` may select more than the hook needs, never less."""

    hook: CountersHook
    picks: Callable[[AsyncSession, pl.DataFrame], Awaitable[pl.Series]]


Key = tuple[int, date]  # line id, period
CLOCK_SKEW = timedelta(minutes=5)
RECORD_COLUMNS = (
    "company_id",
    "line_id",
    "record_id",
    "started_at",
    "period",
    "day",
    "usage_type",
    "destination",
    "quantity",
    "in_bundle",
    "charge",
    "imported_at",
)
STAGING = "usage_staging"
STAGING_DDL = (
    "company_id bigint, line_id bigint, record_id varchar(64), started_at "
    "timestamptz, period date, day date, usage_type varchar(32), destination "
    "varchar(32), quantity bigint, in_bundle bigint, charge bigint, counted boolean"
)
# The statements below are formatted with the batch's `now` (`_sql_time`): the same for every
# row, it is not staged (parsing a time per row was a fifth of the staging COPY).
# `counted`: the record's line period had counters before the batch (read under the share's
# rating lock, which every writer of counters and daily totals holds). A line period that had
# none has no daily totals either (both are written together), so its rows are all new and
# are inserted plainly: `ON CONFLICT` would cost each a speculative insertion, about half of
# the statement on a batch of new line periods.
STAGED_INSERT = (
    f"INSERT INTO {UsageRecord.__tablename__} ({', '.join(RECORD_COLUMNS)}) "
    "SELECT company_id, line_id, record_id, started_at, period, day, usage_type, destination, "
    "quantity, in_bundle, charge * 0.000001, {now} "
    f"FROM {STAGING} ORDER BY record_id"
)
# PostgreSQL: the counters and daily totals a batch adds, summed from the staging table in
# the database (the same sums as `usage.batch.totals`), in key order like every writer.
_ELIGIBLE = "destination IN ('national', 'eu_roaming')"
_COUNTERS_INSERT = (
    f"INSERT INTO {LineCounter.__tablename__} (line_id, period, company_id, "
    f"{', '.join(COUNTED)}, updated_at) "
    "SELECT line_id, period, min(company_id), "
    + "".join(
        f"coalesce(sum(quantity) FILTER (WHERE usage_type = '{t}' AND {_ELIGIBLE}), 0), "
        for t in ("data", "voice", "sms")
    )
    + "coalesce(sum(quantity) FILTER (WHERE usage_type = 'data' "
    "AND destination = 'eu_roaming'), 0), sum(charge) * 0.000001, "
    "coalesce(sum(charge) FILTER (WHERE destination = 'eu_roaming'), 0) * 0.000001, "
    "count(*) FILTER (WHERE destination = 'eu_roaming'), {now} "
    f"FROM {STAGING} WHERE {{which}} GROUP BY line_id, period ORDER BY line_id, period"
)
_DAILY_INSERT = (
    f"INSERT INTO {DailyUsage.__tablename__} (line_id, day, usage_type, company_id, quantity, "
    "charge) SELECT line_id, day, usage_type, min(company_id), sum(quantity), "
    f"sum(charge) * 0.000001 FROM {STAGING} WHERE {{which}} GROUP BY line_id, day, usage_type "
    "ORDER BY line_id, day, usage_type"
)
STAGED_TOTALS = "; ".join(
    (
        _COUNTERS_INSERT.format(which="NOT counted", now="{now}"),
        _COUNTERS_INSERT.format(which="counted", now="{now}")
        + " ON CONFLICT (line_id, period) DO UPDATE SET "
        + ", ".join(
            f"{name} = {LineCounter.__tablename__}.{name} + EXCLUDED.{name}" for name in COUNTED
        )
        + ", company_id = EXCLUDED.company_id, updated_at = EXCLUDED.updated_at",
        _DAILY_INSERT.format(which="NOT counted"),
        _DAILY_INSERT.format(which="counted")
        + " ON CONFLICT (line_id, day, usage_type) DO UPDATE SET "
        f"quantity = {DailyUsage.__tablename__}.quantity + EXCLUDED.quantity, "
        f"charge = {DailyUsage.__tablename__}.charge + EXCLUDED.charge, "
        "company_id = EXCLUDED.company_id",
    )
)
LINE_SCHEMA = {
    "number": pl.String,
    "line_id": pl.Int64,
    "company_id": pl.Int64,
    "offer_id": pl.Int64,
    "kind": pl.String,
    "status": pl.String,
    "payment_mode": pl.String,
    "activation_date": pl.Date,
    "billing_account_id": pl.Int64,
}


class BatchRejected(ImportRejected):
    """A batch with bad rows: nothing of it was imported; earlier batches were."""

    def __init__(self, errors: Sequence[RowError], batch: int, before: ImportSummary) -> None:
        super().__init__(errors)
        rows = len({error.row for error in errors})
        self.summary = before
        self.message = (
            f"{rows} row(s) of batch {batch} have errors; nothing of that batch "
            f"was imported; {before.imported} record(s) of {before.batches} earlier "
            f"batch(es) were imported"
        )
        self.args = (self.message,)


# --- reading what is there -----------------------------------------------------------------


async def _fresh(
    session: AsyncSession, frame: pl.DataFrame, writing: pl.Series | None = None
) -> pl.DataFrame:
    """The records not imported before, nor among `writing` (the record ids of the batch
    before, still being written); within the batch the first of a record id wins."""
    first = frame.unique("record_id", keep="first", maintain_order=True)
    if writing is not None and not writing.is_empty():
        first = first.filter(~pl.col("record_id").is_in(writing.implode()))
    found = await existing(session, UsageRecord.record_id, first["record_id"].to_list())
    return first.filter(~pl.col("record_id").is_in(found)) if found else first


LINES_CSV = (
    "SELECT msisdn, id, company_id, offer_id, kind, status, payment_mode, activation_date, "
    "billing_account_id FROM lines WHERE msisdn = ANY($1::varchar[])"
)
COUNTERS_CSV = (
    "SELECT line_id, period, data_bytes, voice_seconds, sms_count, roaming_data_bytes, "
    "(charges * 1000000)::bigint, (roaming_charges * 1000000)::bigint, roaming_events "
    f"FROM {LineCounter.__tablename__} JOIN unnest($1::bigint[], $2::date[]) "
    "AS wanted (line_id, period) USING (line_id, period)"
)


def _csv_frame(data: bytes, schema: dict[str, Any]) -> pl.DataFrame:
    if not data:
        return pl.DataFrame(schema=schema)
    return pl.read_csv(data, has_header=False, new_columns=list(schema), schema=schema)


async def _lines(
    session: AsyncSession, numbers: set[str]
) -> tuple[pl.DataFrame, dict[int, OfferTerms]]:
    """The lines with these numbers (`LINE_SCHEMA` columns), read with one query straight
    into columns on PostgreSQL, and their offers' terms."""
    if is_postgres(session):
        facts = _csv_frame(await copy_query_csv(session, LINES_CSV, list(numbers)), LINE_SCHEMA)
    else:
        columns = (
            Line.msisdn,
            Line.id,
            Line.company_id,
            Line.offer_id,
            Line.kind,
            Line.status,
            Line.payment_mode,
            Line.activation_date,
            Line.billing_account_id,
        )
        rows: list[tuple[Any, ...]] = []
        for part in chunks(list(numbers), 10_000):
            found = await session.execute(select(*columns).where(among(session, Line.msisdn, part)))
            rows += [(*row[:4], *(v.value for v in row[4:7]), *row[7:]) for row in found]
        facts = pl.DataFrame(rows, schema=LINE_SCHEMA, orient="row")
    offer_ids = facts["offer_id"].drop_nulls().unique().to_list()
    offers = await session.scalars(select(Offer).where(Offer.id.in_(offer_ids)))
    return facts, {offer.id: OfferTerms.of(offer) for offer in offers}


def _facts(facts: pl.DataFrame, line_ids: set[int]) -> dict[int, LineFacts]:
    """The lines a hook is told about, as the reference's `LineFacts`."""
    return {
        row[1]: LineFacts(
            row[1],
            row[0],
            row[2],
            row[3],
            LineKind(row[4]),
            LineStatus(row[5]),
            PaymentMode(row[6]),
            row[7],
        )
        for row in facts.filter(pl.col("line_id").is_in(list(line_ids))).iter_rows()
    }


async def _counters(session: AsyncSession, keys: pl.DataFrame) -> pl.DataFrame:
    """What the line periods `keys` (line_id, period) hold, as `batch.START_SCHEMA` columns:
    one query straight into columns on PostgreSQL. A line period with no counters yet is
    missing (it holds nothing)."""
    if is_postgres(session):
        data = await copy_query_csv(
            session, COUNTERS_CSV, keys["line_id"].to_list(), keys["period"].to_list()
        )
        read = {**START_SCHEMA, "c_charges": pl.Int64, "c_roaming_charges": pl.Int64}
        return _csv_frame(data, read).cast(START_SCHEMA)  # type: ignore[arg-type]
    out: dict[Key, Counters] = {}
    wanted = set(keys.iter_rows())
    line_ids = keys["line_id"].unique().to_list()
    periods = keys["period"].unique().to_list()
    for part in chunks(line_ids, 10_000):
        rows = await session.execute(
            select(
                LineCounter.line_id,
                LineCounter.period,
                *(getattr(LineCounter, name) for name in COUNTED),
            ).where(among(session, LineCounter.line_id, part), LineCounter.period.in_(periods))
        )
        for line_id, period, *values in rows:
            if (line_id, period) in wanted:
                out[(line_id, period)] = Counters(*values)
    return start_frame(out)


async def _balances(session: AsyncSession, line_ids: Sequence[int]) -> dict[int, Decimal]:
    out = dict.fromkeys(line_ids, Decimal(0))  # a prepaid line with no balance yet has no credit
    for part in chunks(line_ids, 10_000):
        rows = await session.execute(
            select(PrepaidBalance.line_id, PrepaidBalance.balance).where(
                among(session, PrepaidBalance.line_id, part)
            )
        )
        out.update((line_id, balance) for line_id, balance in rows)
    return out


# --- checking ------------------------------------------------------------------------------


def _resolve(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[RowError]]:
    """The records with their number as stored (`number`, E.164; null where it is not a
    number), and the rows whose number is not one. A number already in that form is taken as
    it is, in columns (as `stored_number` would); each other distinct one is parsed once."""
    line = pl.col("line")
    as_is = line.str.contains(f"^(?:{E164_ITALIAN.pattern})$")
    numbers: dict[str, str] = {}
    wrong: dict[str, str] = {}
    for raw in frame.filter(~as_is)["line"].unique().to_list():
        try:
            numbers[raw] = stored_number(raw)
        except InvalidNumber as exc:
            wrong[raw] = str(exc)
    parsed = line.replace_strict(numbers, default=None, return_dtype=pl.String)
    errors = [
        RowError(row, wrong[raw], "line")
        for row, raw in frame.filter(line.is_in(list(wrong))).select("row", "line").iter_rows()
    ]
    return frame.with_columns(number=pl.when(as_is).then(line).otherwise(parsed)), errors


def _with_lines(frame: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """The records whose number is one (`_resolve`), with their line's facts and Rome day and
    period."""
    day = pl.col("started_at").dt.convert_time_zone("Europe/Rome").dt.date()
    return (
        frame.filter(pl.col("number").is_not_null())
        .with_columns(day=day)
        .with_columns(period=pl.col("day").dt.month_start())
        .join(facts, on="number", how="left", maintain_order="left")
    )


def _check(frame: pl.DataFrame, terms: dict[int, OfferTerms], now: datetime) -> list[RowError]:
    """The rule each record breaks, in the order the reference checks them."""
    known, fixed = pl.col("line_id").is_not_null(), pl.col("kind") == LineKind.fixed.value
    future = pl.col("started_at") > now + CLOCK_SKEW
    rules: list[tuple[pl.Expr, Any, str]] = [
        (~known, "no line has this number", "line"),
        (known & (pl.col("status") == LineStatus.ceased.value), "this line has ceased", "line"),
        (known & ~pl.col("offer_id").is_in(list(terms)), "this line has no offer", "line"),
        (
            known & fixed & (pl.col("type") != "voice"),
            lambda t: f"a fixed line has no {t} use",
            "type",
        ),
        (
            known & fixed & (pl.col("destination") == "eu_roaming"),
            "a fixed line cannot roam",
            "destination",
        ),
        (known & future, "starts in the future", "started_at"),
        (
            known & ~future & (pl.col("day") < pl.col("activation_date")),
            "starts before the line was activated",
            "started_at",
        ),
    ]
    found: list[tuple[int, int, RowError]] = []
    for order, (rule, reason, field) in enumerate(rules):
        for row, usage_type in frame.filter(rule).select("row", "type").iter_rows():
            text = reason(usage_type) if callable(reason) else reason
            found.append((row, order, RowError(row, text, field)))
    return [error for *_, error in sorted(found, key=lambda item: item[:2])]


# --- writing -------------------------------------------------------------------------------


def _sql_time(at: datetime) -> str:
    """An aware time as an SQL literal (a datetime's own text: nothing from the input)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime given as an SQL time")
    return f"'{at.isoformat()}'::timestamptz"


async def _insert_records(session: AsyncSession, rated: pl.DataFrame, now: datetime) -> int:
    """The rated records, each record id at most once; returns how many were new."""
    # The table's columns, in its order, from the frame's (its `type` is `usage_type`).
    picked = {name: pl.col(name) for name in RECORD_COLUMNS} | {
        "usage_type": pl.col("type"),
        "charge": pl.col("charge").cast(pl.Int64),
        "imported_at": pl.lit(now),
    }
    columns = rated.select(column.alias(name) for name, column in picked.items())
    if is_postgres(session):
        staged = columns.drop("imported_at").with_columns(counted=rated["c_data"].is_not_null())
        insert = STAGED_INSERT.format(now=_sql_time(now))
        return await copy_frame_staged(
            session, STAGING_DDL, STAGING, staged, insert, "ON CONFLICT DO NOTHING"
        )
    rows = [(*row[:10], from_micros(row[10]), now) for row in columns.rows()]
    return await insert_ignore(session, UsageRecord, RECORD_COLUMNS, rows, ("record_id",))


async def _write_totals(
    session: AsyncSession, done: Totals, companies: dict[int, int], now: datetime
) -> None:
    """Counters and daily totals upserted as aggregates (what the batch adds), and the credit.
    PostgreSQL sums the staged records itself (`STAGED_TOTALS`)."""
    if is_postgres(session):
        await execute_sql(session, STAGED_TOTALS.format(now=_sql_time(now)))
        await _write_credit(session, done, companies, now)
        return
    sums = done.counters
    line_ids = sums["line_id"].to_list()
    counters: dict[str, Sequence[Any]] = {name: sums[name].to_list() for name in COUNTED}
    for name in ("charges", "roaming_charges"):
        counters[name] = [from_micros(value) for value in counters[name]]
    await upsert_add_columns(
        session,
        LineCounter,
        ("line_id", "period"),
        COUNTED,
        {
            "line_id": line_ids,
            "period": sums["period"].to_list(),
            **counters,
            "company_id": [companies[i] for i in line_ids],
            "updated_at": [now] * len(line_ids),
        },
    )
    daily = done.daily
    line_ids = daily["line_id"].to_list()
    await upsert_add_columns(
        session,
        DailyUsage,
        ("line_id", "day", "usage_type"),
        ("quantity", "charge"),
        {
            "line_id": line_ids,
            "day": daily["day"].to_list(),
            "usage_type": daily["type"].to_list(),
            "company_id": [companies[i] for i in line_ids],
            "quantity": daily["quantity"].to_list(),
            "charge": [from_micros(value) for value in daily["charge"].to_list()],
        },
    )
    await _write_credit(session, done, companies, now)


async def _write_credit(
    session: AsyncSession, done: Totals, companies: dict[int, int], now: datetime
) -> None:
    await upsert_add(
        session,
        PrepaidBalance,
        ("line_id",),
        ("balance",),
        [
            {
                "line_id": line_id,
                "company_id": companies[line_id],
                "balance": after - before,
                "updated_at": now,
            }
            for line_id, (before, after) in done.credit.items()
        ],
    )


# --- the import ----------------------------------------------------------------------------

# Lines are rated in shares (`line_id % SHARES`): each share has its rating lock, and a batch
# written side by side has a transaction per share. Every process must agree on it.
SHARES = 2
RATING_LOCKS = [lock_key(f"usage-rating-{share}") for share in range(SHARES)]
# A smaller batch is written in one transaction: each share costs its own round trips (the
# lock, the counters, the staging COPY, the upserts), more than it saves on a few records.
SPLIT_FROM = 5_000
ALL_SHARES = tuple(range(SHARES))


@dataclass(frozen=True)
class Checked:
    """A batch that passed the checks: its new records (`fresh`, with their lines' facts), the
    lines (`LINE_SCHEMA` columns) and their offers' terms."""

    fresh: pl.DataFrame
    facts: pl.DataFrame
    terms: dict[int, OfferTerms]

    def share(self, shares: Sequence[int]) -> "Checked":
        if len(shares) == SHARES:
            return self
        return replace(self, fresh=self.fresh.filter((pl.col("line_id") % SHARES).is_in(shares)))


async def import_records(
    session: AsyncSession,
    now: datetime,
    records: Sequence[tuple[int, UsageRecordIn]],
    *,
    errors: Sequence[RowError] = (),
    on_counters: CountersHook | Watched | None = None,
) -> ImportSummary:
    """Rate and count one batch of numbered records (row number, record), all or none.

    `errors` are the batch's rows that could not be read: they reject it too, together with
    the rows found bad here (`ImportRejected`, each error naming its row). After the
    counters of a line and period change, `on_counters` is told their values before and
    after the batch (the edges pass the usage alerts)."""
    return await import_frame(
        session, now, frame_of(records), errors=errors, on_counters=on_counters
    )


async def import_frame(
    session: AsyncSession,
    now: datetime,
    frame: pl.DataFrame,
    *,
    errors: Sequence[RowError] = (),
    on_counters: CountersHook | Watched | None = None,
    side_by_side: async_sessionmaker[AsyncSession] | None = None,
) -> ImportSummary:
    """`import_records` for a batch already in columns (`usage.batch.FRAME_SCHEMA`).

    The whole batch is checked in `session` first. Without `side_by_side` it is then written
    in `session` too (the caller commits). With it, on PostgreSQL, a batch of `SPLIT_FROM`
    new records or more is written apart (`_write_apart`): its shares side by side, each
    in a transaction of its own."""
    checked = await _check_batch(session, now, frame, errors)
    if side_by_side is None or not is_postgres(session) or checked.fresh.height < SPLIT_FROM:
        imported = await _write_batch(session, now, checked, ALL_SHARES, on_counters)
    else:
        imported = await _write_apart(side_by_side, now, checked, on_counters)
    return _summary(frame.height, imported, now)


def _summary(records: int, imported: int, now: datetime) -> ImportSummary:
    return ImportSummary(
        records=records,
        imported=imported,
        duplicates=records - imported,
        batches=1,
        finished_at=now,
    )


async def _write_apart(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    checked: Checked,
    on_counters: CountersHook | Watched | None,
) -> int:
    """Write a checked batch in transactions of its own, committed here: one per share when
    it holds `SPLIT_FROM` new records or more, so that two database processes write at once
    (a share's rows, its counters and its alerts are its own; the spending estimates both
    add to are taken in key order), else one. A failure (the database away) may leave some
    shares written: importing again adds the rest."""
    split = checked.fresh.height >= SPLIT_FROM
    groups = [(share,) for share in ALL_SHARES] if split else [ALL_SHARES]

    async def write(shares: tuple[int, ...]) -> int:
        async with sessions() as own, own.begin():
            return await _write_batch(own, now, checked.share(shares), shares, on_counters)

    # every share ends (commits or rolls back) before a failure is raised
    done = await asyncio.gather(*(write(group) for group in groups), return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome
    return sum(n for n in done if isinstance(n, int))


async def _check_batch(
    session: AsyncSession,
    now: datetime,
    frame: pl.DataFrame,
    errors: Sequence[RowError],
    writing: pl.Series | None = None,
) -> Checked:
    """The batch's new records with their lines, or `ImportRejected` naming every bad row
    (`writing`: the record ids of a batch being written meanwhile, as in `_fresh`)."""
    fresh = await _fresh(session, frame, writing)
    fresh, bad = _resolve(fresh)
    facts, terms = await _lines(session, set(fresh["number"].drop_nulls().unique().to_list()))
    fresh = _with_lines(fresh, facts)
    bad = [*errors, *bad, *_check(fresh, terms, now)]
    if bad:
        raise ImportRejected(bad)
    return Checked(fresh, facts, terms)


async def _rating_locks(session: AsyncSession, shares: Iterable[int]) -> None:
    """Importers take turns to rate a share's lines (each reads the counters it adds to),
    from reading them to the commit; the shares in ascending order, so never in a cycle.
    SQLite serialises writers by itself."""
    if is_postgres(session):  # through the session: it begins the transaction the lock lasts
        for share in sorted(shares):
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": RATING_LOCKS[share]}
            )


async def _write_batch(
    session: AsyncSession,
    now: datetime,
    checked: Checked,
    shares: Iterable[int],
    on_counters: CountersHook | Watched | None,
) -> int:
    """Rate and write the checked records of these shares; returns how many it imported (0:
    the same records, imported at the same time, committed first)."""
    fresh, facts, terms = checked.fresh, checked.facts, checked.terms
    if fresh.is_empty():
        return 0
    await _rating_locks(session, shares)
    counters = await _counters(session, fresh.select("line_id", "period").unique())
    prepaid = fresh.filter(pl.col("payment_mode") == PaymentMode.prepaid.value)
    balances = await _balances(session, prepaid["line_id"].unique().to_list())
    rated = rate_frame(fresh, terms, counters, balances)
    inserted = await _insert_records(session, rated, now)
    if inserted == 0:  # the same batch, imported at the same time, committed first
        return 0
    if inserted != fresh.height:
        raise Conflict(
            "Another import added some of these records meanwhile; import the file again"
        )
    done = totals(rated, balances)
    companies = rated.select("line_id", "company_id").unique()
    await _write_totals(
        session, done, dict(zip(companies["line_id"], companies["company_id"], strict=True)), now
    )
    if on_counters is not None:
        hook, only = (
            (on_counters.hook, await on_counters.picks(session, done.counters))
            if isinstance(on_counters, Watched)
            else (on_counters, None)
        )
        before, after = changes(done, balances, only)
        by_id = _facts(facts, {line_id for line_id, _ in after})
        await hook(
            session,
            now,
            [
                CountersChange(
                    by_id[line_id],
                    period,
                    terms[by_id[line_id].offer_id],
                    before[(line_id, period)],
                    counted,
                )
                for (line_id, period), counted in after.items()
            ],
        )
    # Last: the spending rows are shared by the shares of a batch written side by side, and
    # stay locked by the first to write them until it commits.
    await add_to_estimate(session, done, facts)
    return inserted


Progress = Callable[[Batch, ImportSummary], None]


@dataclass(frozen=True)
class _Writing:
    """A batch of a file being written (`task`) while the next is read and checked."""

    batch: Batch
    records: int
    now: datetime
    record_ids: pl.Series  # its new records'
    task: "asyncio.Task[int]"


async def import_batches(
    session: AsyncSession,
    clock: Callable[[], datetime],
    batches: AsyncIterable[Batch],
    commit: Callable[[], Awaitable[None]],
    *,
    progress: Progress | None = None,
    on_counters: CountersHook | Watched | None = None,
    side_by_side: async_sessionmaker[AsyncSession] | None = None,
) -> ImportSummary:
    """Import a file batch by batch, in file order, each batch its own transaction, and
    `commit` awaited after each (the caller's: it commits `session`, and may tell others).
    A bad batch raises `BatchRejected`; the batches before it stay imported.

    Without `side_by_side` (or on SQLite) each batch is checked and written in `session`.
    With it, on PostgreSQL, a pipeline: each batch is written apart (`_write_apart`) while
    the next is read and checked in `session`, whose records already in the batch being
    written count as duplicates, as they would once it committed."""
    apart = side_by_side if side_by_side is not None and is_postgres(session) else None
    total = ImportSummary(records=0, imported=0, duplicates=0, batches=0, finished_at=clock())
    writing: _Writing | None = None

    async def landed(batch: Batch, summary: ImportSummary) -> ImportSummary:
        await commit()
        added = ImportSummary(
            records=total.records + summary.records,
            imported=total.imported + summary.imported,
            duplicates=total.duplicates + summary.duplicates,
            batches=total.batches + 1,
            finished_at=summary.finished_at,
        )
        if progress is not None:
            progress(batch, added)
        return added

    async def written(done: _Writing) -> ImportSummary:
        return await landed(done.batch, _summary(done.records, await done.task, done.now))

    try:
        async for batch in batches:
            now, frame = clock(), batch.frame()
            try:
                before = None if writing is None else writing.record_ids
                checked = await _check_batch(session, now, frame, batch.errors, before)
            except ImportRejected as exc:
                if writing is not None:
                    total, writing = await written(writing), None
                rows = [RowError(d["row"], d["reason"], d.get("field")) for d in exc.details or []]
                raise BatchRejected(rows, total.batches + 1, total) from exc
            if writing is not None:
                total, writing = await written(writing), None
            if apart is not None:
                task = asyncio.create_task(_write_apart(apart, now, checked, on_counters))
                writing = _Writing(batch, frame.height, now, checked.fresh["record_id"], task)
            else:
                imported = await _write_batch(session, now, checked, ALL_SHARES, on_counters)
                total = await landed(batch, _summary(frame.height, imported, now))
        if writing is not None:
            total, writing = await written(writing), None
    finally:
        if writing is not None:  # a failure while the batch before was written: it ends first
            await asyncio.gather(writing.task, return_exceptions=True)
    return total


# --- prepaid top-ups -----------------------------------------------------------------------


async def top_up(
    session: AsyncSession, now: datetime, msisdn: str, amount: Decimal, reference: str
) -> PrepaidBalance:
    """Add credit to a prepaid line; a reference already used is the same top-up again."""
    try:
        number = stored_number(msisdn)
    except InvalidNumber as exc:
        raise NotFound("No such line") from exc
    line = await session.scalar(select(Line).where(Line.msisdn == number))
    if line is None:
        raise NotFound("No such line")
    if line.payment_mode is not PaymentMode.prepaid:
        raise ValidationFailed(
            "Only a prepaid line can be topped up",
            details=[{"field": "msisdn", "reason": "not a prepaid line"}],
        )
    if amount <= 0:
        raise ValidationFailed(
            "A top-up must be more than zero",
            details=[{"field": "amount", "reason": "must be more than 0"}],
        )
    # Insert-or-nothing, not read-then-insert: of the same reference sent at once, one adds
    # the credit and the others (after it commits, on PostgreSQL) find it already there.
    added = await session.scalar(
        dialect_insert(session, PrepaidTopUp)
        .values(
            company_id=line.company_id,
            line_id=line.id,
            reference=reference,
            amount=amount,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(PrepaidTopUp.id)
    )
    if added is None:
        done = await session.scalar(select(PrepaidTopUp).where(PrepaidTopUp.reference == reference))
        if done is None or done.line_id != line.id or done.amount != amount:
            raise Conflict("This reference belongs to another top-up")
    else:
        await upsert_add(
            session,
            PrepaidBalance,
            ("line_id",),
            ("balance",),
            [
                {
                    "line_id": line.id,
                    "company_id": line.company_id,
                    "balance": amount,
                    "updated_at": now,
                }
            ],
        )
    balance = await session.scalar(
        select(PrepaidBalance)
        .where(PrepaidBalance.line_id == line.id)
        .execution_options(populate_existing=True)
    )
    assert balance is not None
    return balance


# --- the spending trend's estimate ---------------------------------------------------------


async def add_to_estimate(session: AsyncSession, done: Totals, facts: pl.DataFrame) -> None:
    """The spending roll-ups' estimate takes in the charges the batch adds on postpaid lines
    not ceased: summed per billing account, period and kind (`SpendingAccount.charges`), and
    per company, period and kind what that moves the accounts' charges rounded to the cent
    by (`SpendingEstimate.charges`). `facts`: the batch's lines (`LINE_SCHEMA` columns)."""
    charged = (
        done.counters.select("line_id", "period", "charges")
        .filter(pl.col("charges") != 0)
        .join(facts, on="line_id")
        .filter(
            (pl.col("payment_mode") == PaymentMode.postpaid.value)
            & (pl.col("status") != LineStatus.ceased.value)
        )
        .group_by("billing_account_id", "period", "kind", "company_id")
        .agg(pl.col("charges").sum())
    )
    added: dict[tuple[int, date, LineKind, int], int] = {
        (account_id, period, LineKind(kind), company_id): micros
        for account_id, period, kind, company_id, micros in charged.iter_rows()
    }
    if not added:
        return
    await upsert_add(
        session,
        SpendingAccount,
        ("billing_account_id", "period", "kind"),
        ("charges",),
        [
            {
                "billing_account_id": account_id,
                "period": period,
                "kind": kind,
                "company_id": company_id,
                "charges": from_micros(micros),
            }
            for (account_id, period, kind, company_id), micros in sorted(added.items())
        ],
    )
    # The accounts' rows are this transaction's until it commits (locked on PostgreSQL,
    # the whole database on SQLite): their charges now, less what was added, are the ones
    # before, whatever another import added before this one.
    now: dict[tuple[int, date, LineKind], Decimal] = {}
    periods = sorted({period for _, period, _, _ in added})
    for part in chunks(sorted({account_id for account_id, _, _, _ in added}), 10_000):
        found = await session.execute(
            select(
                SpendingAccount.billing_account_id,
                SpendingAccount.period,
                SpendingAccount.kind,
                SpendingAccount.charges,
            ).where(
                among(session, SpendingAccount.billing_account_id, part),
                SpendingAccount.period.in_(periods),
            )
        )
        now.update(((a, p, k), charges) for a, p, k, charges in found)
    moved: dict[tuple[int, date, LineKind], Decimal] = {}
    for (account_id, period, kind, company_id), micros in added.items():
        after = now[account_id, period, kind]
        change = round_cents(after) - round_cents(after - from_micros(micros))
        moved[company_id, period, kind] = moved.get((company_id, period, kind), Decimal(0)) + change
    await upsert_add(
        session,
        SpendingEstimate,
        ("company_id", "period", "kind"),
        ("charges",),
        [
            {"company_id": company_id, "period": period, "kind": kind, "charges": change}
            for (company_id, period, kind), change in sorted(moved.items())
            if change
        ],
    )
