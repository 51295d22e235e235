"""Page-numbered listings: `page` (from 1) and `limit`, with the total, as list endpoints show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")
MAX_LIMIT = 100
# Bounds every page number a client sends, so an offset always fits the database's integers.
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    limit: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    request: PageRequest

    @property
    def total_pages(self) -> int:
        return -(-self.total // self.request.limit)

    @property
    def next_page(self) -> int | None:
        return self.request.page + 1 if self.request.page < self.total_pages else None


def fetch(session: Session, statement: sa.Select[Any], request: PageRequest) -> Page[Any]:
    """One page of an ordered SELECT of ORM rows, and how many rows there are in all."""
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = list(session.scalars(statement.limit(request.limit).offset(request.offset)))
    return Page(rows, int(total), request)


LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with escape=LIKE_ESCAPE) matching any value that contains `text`, lower-cased."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
