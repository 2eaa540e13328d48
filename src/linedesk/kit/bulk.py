"""Bulk SQL in one place: chunking, `IN` lists, insert-or-ignore, additive upserts and binary
COPY. The SQLite/PostgreSQL branch is written here once, so services call one function and
stay the same on both databases (PostgreSQL: arrays, `unnest` and COPY; SQLite:
`executemany`)."""

import io
import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import JSON, ColumnElement, any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
SQLITE_CHUNK = 5000  # rows per executemany: far below SQLite's variable limit per statement
SORT_MEMORY = "64MB"  # work_mem of a transaction that sorts a staged batch (50,000 rows)


def chunks(items: Sequence[T], size: int = 5000) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """`INSERT` with `ON CONFLICT` support for the session's database."""
    dialect: Any = postgresql if is_postgres(session) else sqlite
    return dialect.insert(table)


def among(session: AsyncSession, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`: one array parameter on PostgreSQL, a list elsewhere."""
    if is_postgres(session):
        array = postgresql.ARRAY(column.type)
        return column == any_(bindparam(None, list(values), type_=array))
    return column.in_(values)


async def existing(session: AsyncSession, column: Any, values: Sequence[Any]) -> list[Any]:
    """The `values` already in `column` (a uniquely indexed column).

    PostgreSQL: one index probe per value (a lateral `LIMIT 1`), in sorted order: with `IN`
    or a join, the planner's row estimate of a fast-growing table can go stale and pick a
    scan of the whole table (350 ms for 10,000 values in 1.5 million rows, against 70)."""
    if not values:
        return []
    table, name = column.table.name, column.name
    if is_postgres(session):
        type_ = column.type.compile(dialect=postgresql.dialect())
        rows = await (await _driver(session)).fetch(
            f"SELECT wanted.value FROM unnest($1::{type_}[]) AS wanted (value) "
            f"CROSS JOIN LATERAL (SELECT 1 FROM {table} WHERE {table}.{name} = wanted.value "
            "LIMIT 1) AS found",
            sorted(values),
        )
        return [row[0] for row in rows]
    found: list[Any] = []
    for part in chunks(values, 10_000):
        found += await session.scalars(select(column).where(column.in_(part)))
    return found


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (PostgreSQL only)."""
    raw = await (await session.connection()).get_raw_connection()
    return raw.driver_connection


async def copy_or_insert(
    session: AsyncSession, model: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Append rows to a model's table: binary COPY on PostgreSQL, a chunked `executemany`
    INSERT elsewhere. A JSON column's values are Python objects, as with an INSERT."""
    table = model.__table__
    if not rows:
        return
    if is_postgres(session):
        as_json = [isinstance(table.c[name].type, JSON) for name in columns]
        if any(as_json):
            rows = [
                tuple(json.dumps(v) if j else v for v, j in zip(row, as_json, strict=True))
                for row in rows
            ]
        await (await _driver(session)).copy_records_to_table(
            table.name, records=rows, columns=list(columns)
        )
        return
    for part in chunks(rows, SQLITE_CHUNK):
        await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in part])


async def insert_ignore(
    session: AsyncSession,
    model: Any,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    keys: Sequence[str],
) -> int:
    """Insert rows whose `keys` are new, skip the others; returns how many were inserted.

    SQLite only (`INSERT … ON CONFLICT DO NOTHING` by `executemany`); PostgreSQL imports go
    through `copy_frame_staged`, which does the same from a staging table."""
    table = model.__table__
    inserted = 0
    statement = dialect_insert(session, table).on_conflict_do_nothing(index_elements=list(keys))
    for part in chunks(rows, SQLITE_CHUNK):
        result: Any = await session.execute(
            statement, [dict(zip(columns, row, strict=True)) for row in part]
        )
        inserted += max(result.rowcount, 0)
    return inserted


async def copy_frame_staged(
    session: AsyncSession,
    staging_ddl: str,
    staging: str,
    frame: Any,
    insert_sql: str,
    conflict: str,
) -> int:
    """PostgreSQL: the rows of a Polars frame (columns in the staging table's order, no nulls)
    into a temporary staging table (created once per connection, emptied at each use and at
    commit), then `insert_sql` from it (an `INSERT … SELECT`) with its `conflict` clause (an
    `ON CONFLICT … DO NOTHING`) only if a key is taken; returns how many rows it inserted.
    The frame is written as CSV by Polars and read by PostgreSQL's CSV COPY, so no row
    becomes a Python object on the way.

    `ON CONFLICT` costs each row a speculative insertion (a probe of the key's index before,
    a confirmation after): a third of the statement when the keys are new, as a caller that
    has read which are taken nearly always finds them. So the plain `INSERT` goes first, in a
    savepoint; a key taken meanwhile (a unique violation: it waited for the writer that took
    it to commit) rolls it back and runs it again with `conflict`.

    The rest of the transaction sorts and groups in memory (`SORT_MEMORY`): the statements
    that read the staging table sort a whole batch, which would spill to disk with the
    server's default `work_mem`."""
    connection = await _driver(session)
    await connection.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({staging_ddl}) ON COMMIT DELETE ROWS; "
        f"TRUNCATE {staging}; SET LOCAL work_mem = '{SORT_MEMORY}'"
    )
    await connection.copy_to_table(
        staging,
        source=io.BytesIO(frame.write_csv(include_header=False).encode()),
        columns=list(frame.columns),
        format="csv",
    )
    try:
        status: str = await connection.execute(f"SAVEPOINT staged; {insert_sql}")
    except asyncpg.UniqueViolationError:
        await connection.execute("ROLLBACK TO SAVEPOINT staged")
        status = await connection.execute(f"{insert_sql} {conflict}")
    await connection.execute("RELEASE SAVEPOINT staged")
    return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 <count>"


async def copy_query_csv(session: AsyncSession, sql: str, *args: Any) -> bytes:
    """PostgreSQL: a query's rows as CSV (no header) by `COPY (query) TO STDOUT`, for a
    columnar reader: no row becomes a Python object on the way."""
    out = io.BytesIO()
    await (await _driver(session)).copy_from_query(sql, *args, output=out, format="csv")
    return out.getvalue()


async def execute_sql(session: AsyncSession, sql: str) -> None:
    """PostgreSQL: SQL with no parameters, on the session's connection (one round trip)."""
    await (await _driver(session)).execute(sql)


def _unnest_insert(model: Any, names: Sequence[str]) -> str:
    """PostgreSQL: `INSERT … SELECT * FROM unnest(…)`, one array parameter per column."""
    table, dialect = model.__table__, postgresql.dialect()
    arrays = ", ".join(
        f"${n}::{table.c[name].type.compile(dialect=dialect)}[]"
        for n, name in enumerate(names, start=1)
    )
    return f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"


async def insert_new_columns(
    session: AsyncSession, model: Any, keys: Sequence[str], columns: dict[str, Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: insert rows given as columns, skipping those whose `keys` are there
    already, in one statement; returns the keys of the rows it inserted."""
    if not columns or not len(next(iter(columns.values()))):
        return []
    sql = (
        f"{_unnest_insert(model, list(columns))} ON CONFLICT ({', '.join(keys)}) DO NOTHING "
        f"RETURNING {', '.join(keys)}"
    )
    rows = await (await _driver(session)).fetch(sql, *(list(v) for v in columns.values()))
    return [tuple(row) for row in rows]


async def upsert_add(
    session: AsyncSession,
    model: Any,
    keys: Sequence[str],
    added: Sequence[str],
    rows: list[dict[str, Any]],
) -> None:
    """Insert rows, or add their `added` columns to the row already there; other columns
    take the new value."""
    if rows:
        await upsert_add_columns(
            session, model, keys, added, {name: [row[name] for row in rows] for name in rows[0]}
        )


async def upsert_add_columns(
    session: AsyncSession,
    model: Any,
    keys: Sequence[str],
    added: Sequence[str],
    columns: dict[str, Sequence[Any]],
) -> None:
    """`upsert_add` for rows given as columns (name → values). PostgreSQL: the whole set in
    one `INSERT … SELECT FROM unnest(…)`, one array per column; SQLite: `executemany`."""
    table, names = model.__table__, list(columns)
    if not names or not len(columns[names[0]]):
        return
    if is_postgres(session):
        dialect = postgresql.dialect()
        arrays = ", ".join(
            f"${n}::{table.c[name].type.compile(dialect=dialect)}[]"
            for n, name in enumerate(names, start=1)
        )
        changes = ", ".join(
            f"{name} = {table.name}.{name} + EXCLUDED.{name}"
            if name in added
            else f"{name} = EXCLUDED.{name}"
            for name in names
            if name not in keys
        )
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {changes}"
        )
        await (await _driver(session)).execute(sql, *(list(columns[name]) for name in names))
        return
    statement = sqlite.insert(table)
    update = {name: table.c[name] + statement.excluded[name] for name in added}
    update |= {
        name: statement.excluded[name] for name in names if name not in added and name not in keys
    }
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=update)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    for part in chunks(rows, SQLITE_CHUNK):
        await session.execute(statement, list(part))
