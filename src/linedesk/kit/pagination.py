"""offset/limit paging with the total in X-Total-Count."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Response

from linedesk.kit.schemas import INT32_MAX


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int


async def _page(
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page:
    return Page(offset=offset, limit=limit)


PageParams = Annotated[Page, Depends(_page)]

# Ids within what every table's key can hold (most are 32-bit on PostgreSQL): a larger number
# is a 422, not an overflow in the database driver (a 500).
MAX_ID = INT32_MAX
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def set_total(response: Response, total: int) -> None:
    response.headers["X-Total-Count"] = str(total)


T = TypeVar("T")


def paged(response: Response, items: Sequence[T], total: int) -> list[T]:
    set_total(response, total)
    return list(items)
