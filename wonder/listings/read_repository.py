"""Read queries for the listing API (async SQLAlchemy).

Every query is built from the typed AST of :mod:`wonder.listings.query` with SQLAlchemy
expressions, so every value travels as a bound parameter. Paging is keyset only (no OFFSET):
the position of the last row of a page becomes a "strictly after" predicate in the sort order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    false,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from wonder.db.models import Listing, ListingChange, ListingHistory, ListingMedia, Member, Office
from wonder.listings.query import (
    And,
    CompareOp,
    Comparison,
    FilterExpr,
    Not,
    Or,
    OrderKey,
    SortValue,
    Within,
)

_COMPARE: dict[CompareOp, Callable[[Any, Any], ColumnElement[bool]]] = {
    CompareOp.EQ: lambda column, value: column == value,
    CompareOp.NE: lambda column, value: column != value,
    CompareOp.LT: lambda column, value: column < value,
    CompareOp.LE: lambda column, value: column <= value,
    CompareOp.GT: lambda column, value: column > value,
    CompareOp.GE: lambda column, value: column >= value,
}


def _listing_column(name: str) -> InstrumentedAttribute[Any]:
    column: InstrumentedAttribute[Any] = getattr(Listing, name)
    return column


def compile_filter(expr: FilterExpr | None) -> ColumnElement[bool]:
    """The WHERE clause of a filter. Two-valued: a comparison on an unset field is false."""
    match expr:
        case None:
            return true()
        case Comparison(field, op, value):
            column = _listing_column(field.column)
            condition = _COMPARE[op](column, value)
            return and_(column.is_not(None), condition) if field.nullable else condition
        case Within(south, west, north, east):
            longitude = (
                Listing.longitude.between(west, east)
                if west <= east
                else or_(Listing.longitude >= west, Listing.longitude <= east)
            )
            return and_(
                Listing.latitude.is_not(None),
                Listing.longitude.is_not(None),
                Listing.latitude.between(south, north),
                longitude,
            )
        case And(operands):
            return and_(*(compile_filter(o) for o in operands))
        case Or(operands):
            return or_(*(compile_filter(o) for o in operands))
        case Not(operand):
            return not_(compile_filter(operand))
    raise AssertionError(f"unknown filter node {expr!r}")  # pragma: no cover


# --- keyset paging ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SortColumn:
    """A column of a total order; unset values sort last ascending, first descending."""

    column: InstrumentedAttribute[Any]
    descending: bool = False
    nullable: bool = False

    def order_clause(self) -> Any:
        if self.descending:
            return self.column.desc().nulls_first() if self.nullable else self.column.desc()
        return self.column.asc().nulls_last() if self.nullable else self.column.asc()

    def after(self, value: SortValue) -> ColumnElement[bool] | None:
        """Rows strictly after ``value`` in this column's direction (None: there are none)."""
        if self.descending:
            if value is None:
                return self.column.is_not(None)
            return self.column < value
        if value is None:
            return None
        strictly = self.column > value
        return or_(strictly, self.column.is_(None)) if self.nullable else strictly

    def equal(self, value: SortValue) -> ColumnElement[bool]:
        return self.column.is_(None) if value is None else self.column == value


def order_clauses(columns: Sequence[SortColumn]) -> list[Any]:
    return [column.order_clause() for column in columns]


def after_position(
    columns: Sequence[SortColumn], values: Sequence[SortValue]
) -> ColumnElement[bool]:
    """Rows that sort strictly after ``values`` in the total order ``columns``."""
    uniform = len({c.descending for c in columns}) == 1
    if uniform and not any(c.nullable for c in columns):
        # A row-value comparison, which an index on the sort columns serves directly.
        left = tuple_(*(c.column for c in columns))
        binds = (
            bindparam(None, v, type_=c.column.type) for c, v in zip(columns, values, strict=True)
        )
        right = tuple_(*binds)
        return left < right if columns[0].descending else left > right
    branches: list[ColumnElement[bool]] = []
    for i, (column, value) in enumerate(zip(columns, values, strict=True)):
        after = column.after(value)
        if after is not None:
            prefix = [c.equal(v) for c, v in zip(columns[:i], values[:i], strict=True)]
            branches.append(and_(*prefix, after))
    return or_(*branches) if branches else false()


def listing_sort_columns(order: Sequence[OrderKey]) -> list[SortColumn]:
    return [
        SortColumn(_listing_column(k.field.column), k.descending, k.field.nullable) for k in order
    ]


MEDIA_ORDER = (
    SortColumn(ListingMedia.order, nullable=True),
    SortColumn(ListingMedia.media_key),
)
HISTORY_ORDER = (
    SortColumn(ListingHistory.changed_at),
    SortColumn(ListingHistory.id),
)


# --- the repository --------------------------------------------------------------------------


@asynccontextmanager
async def read_only_transaction(
    session: AsyncSession, timeout_seconds: float | None
) -> AsyncIterator[None]:
    """The session's statements, bounded by the caller's remaining time, in few round trips.

    On PostgreSQL the connection runs in autocommit mode, so the driver sends no BEGIN and no
    ROLLBACK of its own. Without a deadline every statement is its own transaction (READ
    COMMITTED gives each statement its own snapshot anyway). With one, a single round trip opens
    a read-only transaction and bounds its statements (``SET LOCAL statement_timeout``, gone
    with the transaction), and a COMMIT ends it: psycopg drops its prepared statements on every
    ROLLBACK, on COMMIT it keeps them. On failure the session's rollback ends the transaction.
    SQLite has no server to cancel on: a plain transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if timeout_seconds is None:
        yield
        return
    # An int, so formatting it into the statement is safe (SET takes no bound parameters).
    milliseconds = max(1, int(timeout_seconds * 1000))
    await connection.exec_driver_sql(
        f"BEGIN READ ONLY; SET LOCAL statement_timeout = {milliseconds}"
    )
    yield
    await connection.exec_driver_sql("COMMIT")


class ListingReadRepository:
    """Reads listings, media, history, agents, offices and the change feed. Never writes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def listings_by_key(self, keys: Sequence[str]) -> dict[str, Listing]:
        if not keys:
            return {}
        rows = await self._session.scalars(
            select(Listing).where(Listing.listing_key.in_(set(keys)))
        )
        return {row.listing_key: row for row in rows}

    async def listing_exists(self, key: str) -> bool:
        found = await self._session.scalar(
            select(Listing.listing_key).where(Listing.listing_key == key)
        )
        return found is not None

    async def list_listings(
        self,
        *,
        where: ColumnElement[bool],
        order: Sequence[OrderKey],
        after: Sequence[SortValue] | None,
        limit: int,
        show_deleted: bool,
    ) -> list[Listing]:
        columns = listing_sort_columns(order)
        query = select(Listing).where(where)
        if not show_deleted:
            query = query.where(Listing.deleted_at.is_(None))
        if after is not None:
            query = query.where(after_position(columns, after))
        query = query.order_by(*order_clauses(columns)).limit(limit)
        return list(await self._session.scalars(query))

    async def media_by_listing(self, keys: Sequence[str]) -> dict[str, list[ListingMedia]]:
        result: dict[str, list[ListingMedia]] = {key: [] for key in keys}
        if not keys:
            return result
        rows = await self._session.scalars(
            select(ListingMedia)
            .where(ListingMedia.listing_key.in_(set(keys)))
            .order_by(ListingMedia.listing_key, *order_clauses(MEDIA_ORDER))
        )
        for row in rows:
            result[row.listing_key].append(row)
        return result

    async def list_media(
        self, listing_key: str, after: Sequence[SortValue] | None, limit: int
    ) -> list[ListingMedia]:
        query = select(ListingMedia).where(ListingMedia.listing_key == listing_key)
        if after is not None:
            query = query.where(after_position(MEDIA_ORDER, after))
        query = query.order_by(*order_clauses(MEDIA_ORDER)).limit(limit)
        return list(await self._session.scalars(query))

    async def list_history(
        self, listing_key: str, after: Sequence[SortValue] | None, limit: int
    ) -> list[ListingHistory]:
        query = select(ListingHistory).where(ListingHistory.listing_key == listing_key)
        if after is not None:
            query = query.where(after_position(HISTORY_ORDER, after))
        query = query.order_by(*order_clauses(HISTORY_ORDER)).limit(limit)
        return list(await self._session.scalars(query))

    async def members_by_key(self, keys: Sequence[str]) -> dict[str, Member]:
        if not keys:
            return {}
        rows = await self._session.scalars(select(Member).where(Member.member_key.in_(set(keys))))
        return {row.member_key: row for row in rows}

    async def offices_by_key(self, keys: Sequence[str]) -> dict[str, Office]:
        if not keys:
            return {}
        rows = await self._session.scalars(select(Office).where(Office.office_key.in_(set(keys))))
        return {row.office_key: row for row in rows}

    async def changes_after(self, cursor: int, limit: int) -> list[ListingChange]:
        rows = await self._session.scalars(
            select(ListingChange)
            .where(ListingChange.seq > cursor)
            .order_by(ListingChange.seq)
            .limit(limit)
        )
        return list(rows)


def sort_value(row: object, column: SortColumn) -> SortValue:
    value: SortValue = getattr(row, column.column.key)
    return value


def position_of(row: object, columns: Sequence[SortColumn]) -> list[SortValue]:
    return [sort_value(row, c) for c in columns]
