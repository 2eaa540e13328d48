"""What the migrations write their tables with: columns as the models declare them, and
`create_table`, which names the primary key, the foreign keys, the unique constraints and the
indexes the way the models' naming convention (linedesk.db.NAMING_CONVENTION) names them.

A column built here is NOT NULL unless it says `nullable=True` (most model columns are).

Frozen history: a migration that has run must build the same schema for ever, so every
builder here must keep producing exactly the DDL it produces today (migrations 0001 to 0011
use them; tests/test_migrations.py compares the migrated schema with the models). Never change
what one of them emits: a later migration that needs something else spells it out, or adds a
new builder beside these.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from linedesk.db import UTCDateTime

# The type of every id and every reference to one: BIGINT, but INTEGER on SQLite (where only
# an INTEGER PRIMARY KEY is the row id that numbers itself).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

Item = sa.Column[Any] | sa.Constraint | sa.Index

_REFERS_TO = "linedesk_refers_to"
_INDEXED = "linedesk_indexed"


def id_column() -> sa.Column[Any]:
    return sa.Column("id", BigId, nullable=False)


def ref(
    name: str,
    table: str,
    *,
    nullable: bool = False,
    index: bool = False,
    type_: sa.types.TypeEngine[Any] = BigId,
) -> sa.Column[Any]:
    """A column holding the id of a row of `table`: create_table adds its foreign key, and
    with index=True its index."""
    info = {_REFERS_TO: table, _INDEXED: index}
    return sa.Column(name, type_, nullable=nullable, info=info)


def string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def text(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def integer(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def big_integer(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def boolean(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def json(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON(), nullable=False)


def date(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Date(), nullable=False)


def numeric(
    name: str,
    precision: int,
    scale: int,
    *,
    nullable: bool = False,
    server_default: str | None = None,
) -> sa.Column[Any]:
    """Money, rates and quantities: NUMERIC(precision, scale)."""
    numeric_type = sa.Numeric(precision=precision, scale=scale)
    return sa.Column(name, numeric_type, server_default=server_default, nullable=nullable)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A moment, timezone-aware UTC on every backend."""
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def enum(
    name: str, type_name: str, values: Sequence[str], *, nullable: bool = False
) -> sa.Column[Any]:
    """A str-enum column: VARCHAR(32), its values checked by the application only."""
    enum_type = sa.Enum(*values, name=type_name, native_enum=False, length=32)
    return sa.Column(name, enum_type, nullable=nullable)


def index(name: str, *columns: str, unique: bool = False, where: str | None = None) -> sa.Index:
    """An index named by hand (several columns, or partial with `where` on both backends)."""
    partial: dict[str, Any] = {}
    if where is not None:
        partial = {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}
    return sa.Index(name, *columns, unique=unique, **partial)


def create_table(
    name: str,
    *items: Item,
    primary_key: Sequence[str] = ("id",),
    unique: Sequence[str | tuple[str, ...]] = (),
) -> None:
    """op.create_table (which creates the table's indexes after it) with the named primary
    key, a named foreign key and maybe an index for every ref() column, and a named unique
    constraint for each entry of `unique` (a column or a tuple of columns)."""
    references = [c for c in items if isinstance(c, sa.Column) and _REFERS_TO in c.info]
    foreign_keys = [
        sa.ForeignKeyConstraint(
            [c.name],
            [f"{c.info[_REFERS_TO]}.id"],
            name=op.f(f"fk_{name}_{c.name}_{c.info[_REFERS_TO]}"),
        )
        for c in sorted(references, key=lambda c: c.name)
    ]
    indexes = [
        sa.Index(op.f(f"ix_{name}_{c.name}"), c.name) for c in references if c.info[_INDEXED]
    ]
    uniques = [(entry,) if isinstance(entry, str) else entry for entry in unique]
    op.create_table(
        name,
        *items,
        *foreign_keys,
        sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{name}")),
        *(sa.UniqueConstraint(*cols, name=op.f(f"uq_{name}_{'_'.join(cols)}")) for cols in uniques),
        *indexes,
    )
