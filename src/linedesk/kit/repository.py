"""Repositories: every query of a domain, scoped to the caller before it runs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.db import Base
from linedesk.kit.pagination import Page

M = TypeVar("M", bound=Base)
R = TypeVar("R")  # what one page of a statement reads


@dataclass(frozen=True)
class Scope:
    """Whose data a query may read: everything (operator staff), one company (its managers),
    or some lines of one company (an employee: their own line and the linked ones)."""

    company_id: int | None
    line_ids: frozenset[int] | None = None

    @classmethod
    def operator(cls) -> "Scope":
        return cls(company_id=None)

    @classmethod
    def company(cls, company_id: int) -> "Scope":
        return cls(company_id=company_id)

    @classmethod
    def lines(cls, company_id: int, line_ids: frozenset[int]) -> "Scope":
        return cls(company_id=company_id, line_ids=line_ids)


class SessionRepository:
    """Queries on the caller's session with no scope of their own: operator data, or rows the
    caller has already scoped (by user, by company)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class ScopedRepository(Generic[M]):
    model: ClassVar[type[Any]]
    company_column: ClassVar[str] = "company_id"

    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def readable(self) -> Select[M]:
        statement: Select[M] = select(self.model)
        if self.scope.company_id is not None:
            column = getattr(self.model, self.company_column)
            statement = statement.where(column == self.scope.company_id)
        return statement

    async def get(self, id: int) -> M | None:
        result = await self.session.execute(self.readable().where(self.model.id == id))
        return result.scalar_one_or_none()

    async def count(self, statement: Select[Any]) -> int:
        """How many rows `statement` reads."""
        total = await self.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        return int(total or 0)

    async def page(self, statement: Select[R], page: Page) -> tuple[Sequence[R], int]:
        total = await self.count(statement)
        result = await self.session.execute(statement.offset(page.offset).limit(page.limit))
        return result.scalars().all(), total


def claiming(model: Any, due: ColumnElement[bool], limit: int, **values: object) -> Update:
    """The UPDATE by which a worker claims up to `limit` rows that are `due`, soonest first:
    `attempts` goes up by one (the claim's token). PostgreSQL locks the candidates with FOR
    UPDATE SKIP LOCKED, so concurrent workers take different rows; SQLite runs the one UPDATE
    under its single writer lock."""
    candidates = (
        select(model.id)
        .where(due)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        update(model)
        .where(model.id.in_(candidates.scalar_subquery()))
        .values(attempts=model.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )


async def finish_claimed(
    session: AsyncSession, row: Any, *still: ColumnElement[bool], **values: object
) -> bool:
    """Set `values` on a row a worker claimed, if the claim is still its own (`attempts` is
    the claim's token) and what `still` says holds; whether it was."""
    model = type(row)
    result = await session.execute(
        update(model)
        .where(model.id == row.id, model.attempts == row.attempts, *still)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
