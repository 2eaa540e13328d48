"""Usage import (SPEC R-U1): rate new records against each line's offer and keep the counters,
the daily totals and the prepaid credit up to date, a batch at a time, in bulk.

A batch is all or nothing: any bad row rejects it with every bad row named. Records already
imported (by `record_id`) are skipped, so importing a file again adds nothing. Services flush
and never commit: the CLI command or the request owns each batch's transaction.
"""

import re
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.alerts.service import evaluate_changes
from linedesk.errors import Conflict, NotFound, ValidationFailed
from linedesk.inventory.models import Line, LineStatus, Offer, PaymentMode
from linedesk.inventory.service import ImportRejected, chunks
from linedesk.kit.clock import ROME
from linedesk.kit.csvfile import RowError
from linedesk.kit.phone import InvalidNumber, LineKind, parse_italian_number
from linedesk.usage.files import Batch
from linedesk.usage.models import (
    DailyUsage,
    Destination,
    LineCounter,
    PrepaidBalance,
    PrepaidTopUp,
    UsageRecord,
    UsageType,
)
from linedesk.usage.rating import Counters, CountersChange, LineFacts, OfferTerms, rate
from linedesk.usage.schemas import ImportSummary, UsageRecordIn

CountersHook = Callable[[AsyncSession, datetime, Sequence[CountersChange]], Awaitable[None]]
Key = tuple[int, date]  # line id, period
CLOCK_SKEW = timedelta(minutes=5)
E164_ITALIAN = re.compile(r"\+39\d{6,11}")
COUNTER_FIELDS = ("data_bytes", "voice_seconds", "sms_count", "roaming_data_bytes", "charges",
                  "roaming_charges", "roaming_events")
RECORD_COLUMNS = ("company_id", "line_id", "record_id", "started_at", "period", "day",
                  "usage_type", "destination", "quantity", "in_bundle", "charge", "imported_at")


class BatchRejected(ImportRejected):
    """A batch with bad rows: nothing of it was imported; earlier batches were."""

    def __init__(self, errors: Sequence[RowError], batch: int, before: ImportSummary) -> None:
        super().__init__(errors)
        rows = len({error.row for error in errors})
        self.summary = before
        self.message = (f"{rows} row(s) of batch {batch} have errors; nothing of that batch "
                        f"was imported; {before.imported} record(s) of {before.batches} earlier "
                        f"batch(es) were imported")
        self.args = (self.message,)


@dataclass
class _Rated:
    """The new records of a batch, rated, and what they add to each total."""

    records: list[tuple[Any, ...]] = field(default_factory=list)
    before: dict[Key, Counters] = field(default_factory=dict)
    after: dict[Key, Counters] = field(default_factory=dict)
    daily: dict[tuple[int, date, UsageType], list[Any]] = field(default_factory=dict)
    credit: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)  # before, after


# --- reading what is there -----------------------------------------------------------------

def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _among(session: AsyncSession, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`: one array parameter on PostgreSQL, a list elsewhere."""
    if _is_postgres(session):
        array = postgresql.ARRAY(column.type)
        return column == any_(bindparam(None, list(values), type_=array))
    return column.in_(values)


async def _fresh_records(session: AsyncSession, records: Sequence[tuple[int, UsageRecordIn]]
                         ) -> list[tuple[int, UsageRecordIn]]:
    """The records not imported before; within the batch the first of a record id wins."""
    first: dict[str, tuple[int, UsageRecordIn]] = {}
    for item in records:
        first.setdefault(item[1].record_id, item)
    ids = list(first)
    for part in chunks(ids, 10_000):
        found = await session.scalars(
            select(UsageRecord.record_id).where(_among(session, UsageRecord.record_id, part)))
        for record_id in found:
            del first[record_id]
    return list(first.values())


@lru_cache(maxsize=200_000)
def _number(raw: str) -> str:
    """A line's number as stored (E.164); the usual form is taken as it is, the rest parsed."""
    if E164_ITALIAN.fullmatch(raw):
        return raw
    return parse_italian_number(raw)


async def _lines(session: AsyncSession, numbers: set[str]
                 ) -> tuple[dict[str, LineFacts], dict[int, OfferTerms]]:
    lines: dict[str, LineFacts] = {}
    columns = (Line.id, Line.msisdn, Line.company_id, Line.offer_id, Line.kind, Line.status,
               Line.payment_mode, Line.activation_date)
    for part in chunks(list(numbers), 10_000):
        found = await session.execute(select(*columns).where(_among(session, Line.msisdn,
                                                                    part)))
        lines.update((row[1], LineFacts(*row)) for row in found)
    offer_ids = {line.offer_id for line in lines.values()}
    offers = await session.scalars(select(Offer).where(Offer.id.in_(offer_ids)))
    return lines, {offer.id: OfferTerms.of(offer) for offer in offers}


async def _counters(session: AsyncSession, keys: set[Key]) -> dict[Key, Counters]:
    out = {key: Counters() for key in keys}
    line_ids = list({line_id for line_id, _ in keys})
    periods = list({period for _, period in keys})
    for part in chunks(line_ids, 10_000):
        rows = await session.execute(
            select(LineCounter.line_id, LineCounter.period,
                   *(getattr(LineCounter, name) for name in COUNTER_FIELDS))
            .where(_among(session, LineCounter.line_id, part), LineCounter.period.in_(periods)))
        for line_id, period, *values in rows:
            if (line_id, period) in out:
                out[(line_id, period)] = Counters(*values)
    return out


async def _balances(session: AsyncSession, line_ids: Iterable[int]) -> dict[int, Decimal]:
    ids = list(line_ids)
    out = dict.fromkeys(ids, Decimal(0))  # a prepaid line with no balance yet has no credit
    for part in chunks(ids, 10_000):
        rows = await session.execute(select(PrepaidBalance.line_id, PrepaidBalance.balance)
                                     .where(_among(session, PrepaidBalance.line_id, part)))
        out.update((line_id, balance) for line_id, balance in rows)
    return out


# --- checking ------------------------------------------------------------------------------

def _check(number: int, record: UsageRecordIn, line: LineFacts | None, now: datetime
           ) -> list[RowError]:
    if line is None:
        return [RowError(number, "no line has this number", "line")]
    errors = []
    if line.status is LineStatus.ceased:
        errors.append(RowError(number, "this line has ceased", "line"))
    if line.kind is LineKind.fixed and record.type is not UsageType.voice:
        errors.append(RowError(number, f"a fixed line has no {record.type.value} use", "type"))
    if line.kind is LineKind.fixed and record.destination is Destination.eu_roaming:
        errors.append(RowError(number, "a fixed line cannot roam", "destination"))
    if record.started_at > now + CLOCK_SKEW:
        errors.append(RowError(number, "starts in the future", "started_at"))
    elif record.started_at.astimezone(ROME).date() < line.activation_date:
        errors.append(RowError(number, "starts before the line was activated", "started_at"))
    return errors


def _resolve(records: Sequence[tuple[int, UsageRecordIn]]
             ) -> tuple[dict[str, str], list[RowError]]:
    numbers: dict[str, str] = {}
    errors = []
    for row, record in records:
        try:
            numbers[record.line] = _number(record.line)
        except InvalidNumber as exc:
            errors.append(RowError(row, str(exc), "line"))
    return numbers, errors


# --- rating --------------------------------------------------------------------------------

def _ordered(fresh: Sequence[tuple[int, UsageRecordIn]], numbers: dict[str, str],
             lines: dict[str, LineFacts]) -> list[tuple[LineFacts, date, date, UsageRecordIn]]:
    """Each record with its line, period and day (Europe/Rome), by line and start time."""
    out = []
    for _, record in fresh:
        line = lines[numbers[record.line]]
        day = record.started_at.astimezone(ROME).date()
        out.append((line, day.replace(day=1), day, record))
    out.sort(key=lambda item: (item[0].id, item[3].started_at, item[3].record_id))
    return out


def _rate_all(ordered: list[tuple[LineFacts, date, date, UsageRecordIn]],
              terms: dict[int, OfferTerms], counters: dict[Key, Counters],
              balances: dict[int, Decimal], now: datetime) -> _Rated:
    rated = _Rated()
    credit = dict(balances)
    for line, period, day, record in ordered:
        key = (line.id, period)
        current = rated.after.get(key)
        if current is None:  # the line's first record of the period in this batch
            current = counters[key]
            if line.id in credit:
                current = replace(current, credit=credit[line.id])
            rated.before[key] = current
        result, current = rate(terms[line.offer_id], current, record.type, record.destination,
                               record.quantity)
        rated.after[key] = current
        if current.credit is not None:
            credit[line.id] = current.credit
        rated.records.append((line.company_id, line.id, record.record_id, record.started_at,
                              period, day, record.type.value, record.destination.value,
                              record.quantity, result.in_bundle, result.charge, now))
        totals = rated.daily.setdefault((line.id, day, record.type), [0, Decimal(0)])
        totals[0] += record.quantity
        totals[1] += result.charge
    rated.credit = {line_id: (balances[line_id], credit[line_id]) for line_id in balances}
    return rated


# --- writing -------------------------------------------------------------------------------

async def _insert_records(session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL (the bulk of an import's time), a bulk INSERT elsewhere."""
    if _is_postgres(session):
        raw = await (await session.connection()).get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            UsageRecord.__tablename__, records=rows, columns=RECORD_COLUMNS)
        return
    for part in chunks(rows, 5000):
        await session.execute(insert(UsageRecord),
                              [dict(zip(RECORD_COLUMNS, row, strict=True)) for row in part])


async def _add(session: AsyncSession, model: Any, keys: Sequence[str], added: Sequence[str],
               rows: list[dict[str, Any]]) -> None:
    """Insert rows, or add their `added` columns to the row already there (an upsert)."""
    if not rows:
        return
    table = model.__table__
    if _is_postgres(session):
        await _add_unnest(session, table, keys, added, rows)
        return
    dialect: Any = postgresql if _is_postgres(session) else sqlite
    statement = dialect.insert(table)
    changes = {name: table.c[name] + statement.excluded[name] for name in added}
    changes |= {name: statement.excluded[name] for name in rows[0]
                if name not in added and name not in keys}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    for part in chunks(rows, 5000):
        await session.execute(statement, list(part))


async def _add_unnest(session: AsyncSession, table: Any, keys: Sequence[str],
                      added: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """The PostgreSQL upsert of a whole batch in one statement: one array per column,
    `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE` (no per-row round trips)."""
    names = list(rows[0])
    dialect = postgresql.dialect()
    arrays = ", ".join(f"${n}::{table.c[name].type.compile(dialect=dialect)}[]"
                       for n, name in enumerate(names, start=1))
    changes = ", ".join(
        f"{name} = {table.name}.{name} + EXCLUDED.{name}" if name in added
        else f"{name} = EXCLUDED.{name}" for name in names if name not in keys)
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {changes}")
    raw = await (await session.connection()).get_raw_connection()
    await raw.driver_connection.execute(  # type: ignore[union-attr]
        sql, *([row[name] for row in rows] for name in names))


def _counter_rows(rated: _Rated, companies: dict[int, int], now: datetime
                  ) -> list[dict[str, Any]]:
    rows = []
    for key, after in rated.after.items():
        before = rated.before[key]
        row: dict[str, Any] = {name: getattr(after, name) - getattr(before, name)
                               for name in COUNTER_FIELDS}
        row.update(line_id=key[0], period=key[1], company_id=companies[key[0]], updated_at=now)
        rows.append(row)
    return rows


async def _write(session: AsyncSession, rated: _Rated, companies: dict[int, int],
                 now: datetime) -> None:
    await _insert_records(session, rated.records)
    await _add(session, LineCounter, ("line_id", "period"), COUNTER_FIELDS,
               _counter_rows(rated, companies, now))
    await _add(session, DailyUsage, ("line_id", "day", "usage_type"), ("quantity", "charge"), [
        {"line_id": line_id, "day": day, "usage_type": usage_type.value,
         "company_id": companies[line_id], "quantity": quantity, "charge": charge}
        for (line_id, day, usage_type), (quantity, charge) in rated.daily.items()])
    await _add(session, PrepaidBalance, ("line_id",), ("balance",), [
        {"line_id": line_id, "company_id": companies[line_id], "balance": after - before,
         "updated_at": now}
        for line_id, (before, after) in rated.credit.items()])


# --- the import ----------------------------------------------------------------------------

async def import_records(session: AsyncSession, now: datetime,
                         records: Sequence[tuple[int, UsageRecordIn]], *,
                         errors: Sequence[RowError] = (),
                         on_counters: CountersHook | None = None) -> ImportSummary:
    """Rate and count one batch of numbered records, all or none.

    `errors` are the batch's rows that could not be read: they reject it too, together with
    the rows found bad here. After the counters of a line and period change, `on_counters`
    (the usage alerts unless given) is told their values before and after the batch."""
    fresh = await _fresh_records(session, records)
    numbers, bad = _resolve(fresh)
    lines, terms = await _lines(session, set(numbers.values()))
    bad = [*errors, *bad]
    for row, record in fresh:
        if record.line in numbers:
            bad += _check(row, record, lines.get(numbers[record.line]), now)
    if bad:
        raise ImportRejected(bad)
    ordered = _ordered(fresh, numbers, lines)
    counters = await _counters(session, {(line.id, period) for line, period, _, _ in ordered})
    prepaid = {line.id for line, *_ in ordered if line.payment_mode is PaymentMode.prepaid}
    rated = _rate_all(ordered, terms, counters, await _balances(session, prepaid), now)
    by_id = {line.id: line for line in lines.values()}
    try:
        await _write(session, rated, {i: line.company_id for i, line in by_id.items()}, now)
    except IntegrityError as exc:
        raise Conflict("Another import added some of these records meanwhile; "
                       "import the file again") from exc
    hook = on_counters or evaluate_changes
    await hook(session, now, [
        CountersChange(by_id[line_id], period, terms[by_id[line_id].offer_id],
                       rated.before[(line_id, period)], after)
        for (line_id, period), after in rated.after.items()])
    return ImportSummary(records=len(records), imported=len(fresh),
                         duplicates=len(records) - len(fresh), batches=1, finished_at=now)


Progress = Callable[[Batch, ImportSummary], None]


async def import_batches(session: AsyncSession, clock: Callable[[], datetime],
                         batches: AsyncIterable[Batch], commit: Callable[[], Awaitable[None]],
                         *, progress: Progress | None = None) -> ImportSummary:
    """Import a file batch by batch, each batch its own transaction (`commit` is the
    caller's). A bad batch raises `BatchRejected`; the batches before it stay imported."""
    total = ImportSummary(records=0, imported=0, duplicates=0, batches=0, finished_at=clock())
    async for batch in batches:
        try:
            done = await import_records(session, clock(), batch.records, errors=batch.errors)
        except ImportRejected as exc:
            rows = [RowError(d["row"], d["reason"], d.get("field")) for d in exc.details or []]
            raise BatchRejected(rows, total.batches + 1, total) from exc
        await commit()
        total = ImportSummary(records=total.records + done.records,
                              imported=total.imported + done.imported,
                              duplicates=total.duplicates + done.duplicates,
                              batches=total.batches + 1, finished_at=done.finished_at)
        if progress is not None:
            progress(batch, total)
    return total


# --- prepaid top-ups -----------------------------------------------------------------------

async def top_up(session: AsyncSession, now: datetime, msisdn: str, amount: Decimal,
                 reference: str) -> PrepaidBalance:
    """Add credit to a prepaid line; a reference already used is the same top-up again."""
    try:
        number = _number(msisdn)
    except InvalidNumber as exc:
        raise NotFound("No such line") from exc
    line = await session.scalar(select(Line).where(Line.msisdn == number))
    if line is None:
        raise NotFound("No such line")
    if line.payment_mode is not PaymentMode.prepaid:
        raise ValidationFailed("Only a prepaid line can be topped up",
                               details=[{"field": "msisdn", "reason": "not a prepaid line"}])
    if amount <= 0:
        raise ValidationFailed("A top-up must be more than zero",
                               details=[{"field": "amount", "reason": "must be more than 0"}])
    # Insert-or-nothing, not read-then-insert: of the same reference sent at once, one adds
    # the credit and the others (after it commits, on PostgreSQL) find it already there.
    dialect: Any = postgresql if _is_postgres(session) else sqlite
    added = await session.scalar(
        dialect.insert(PrepaidTopUp)
        .values(company_id=line.company_id, line_id=line.id, reference=reference,
                amount=amount, created_at=now)
        .on_conflict_do_nothing(index_elements=["reference"]).returning(PrepaidTopUp.id))
    if added is None:
        done = await session.scalar(select(PrepaidTopUp)
                                    .where(PrepaidTopUp.reference == reference))
        if done is None or done.line_id != line.id or done.amount != amount:
            raise Conflict("This reference belongs to another top-up")
    else:
        await _add(session, PrepaidBalance, ("line_id",), ("balance",), [
            {"line_id": line.id, "company_id": line.company_id, "balance": amount,
             "updated_at": now}])
    balance = await session.scalar(select(PrepaidBalance)
                                   .where(PrepaidBalance.line_id == line.id)
                                   .execution_options(populate_existing=True))
    assert balance is not None
    return balance
