"""Keyset paging: a total order of columns and "strictly after this row" as SQL (no OFFSET).

The position of the last row of a page becomes a predicate in the sort order; with one
direction and no nullable column it is a row-value comparison an index serves directly.

A nullable leading column (``list_price``) splits the rows after a position into partitions that
each seek (:func:`seek_partitions`): the non-NULL values after it, then the NULL ones, which sort
last ascending and first descending. ``... OR list_price IS NULL`` in one predicate would make
PostgreSQL read the index from the start for every deep page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from wonder.aip.fields import SortValue


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
        return _row_after(columns, values)
    branches: list[ColumnElement[bool]] = []
    for i, (column, value) in enumerate(zip(columns, values, strict=True)):
        after = column.after(value)
        if after is not None:
            prefix = [c.equal(v) for c, v in zip(columns[:i], values[:i], strict=True)]
            branches.append(and_(*prefix, after))
    return or_(*branches) if branches else false()


def _row_after(columns: Sequence[SortColumn], values: Sequence[SortValue]) -> ColumnElement[bool]:
    """A row-value comparison over non-NULL values in one direction."""
    left = tuple_(*(c.column for c in columns))
    right = tuple_(
        *(bindparam(None, v, type_=c.column.type) for c, v in zip(columns, values, strict=True))
    )
    return left < right if columns[0].descending else left > right


def seek_partitions(
    columns: Sequence[SortColumn], values: Sequence[SortValue] | None
) -> list[ColumnElement[bool] | None]:
    """Disjoint predicates whose rows, read one after the other, are the rows after ``values``.

    Each one an index on the sort columns serves as a seek; read them in the order given, each
    in the total order, until the page is full (None: no condition, the first page). Only a
    nullable leading column over non-nullable others, all one direction, is split; any other
    order gets the one predicate of :func:`after_position`.
    """
    if values is None:
        return [None]
    lead, rest = columns[0], columns[1:]
    splittable = (
        lead.nullable
        and not any(c.nullable for c in rest)
        and all(c.descending == lead.descending for c in rest)
    )
    if not splittable:
        return [after_position(columns, values)]
    value, rest_values = values[0], values[1:]
    is_null, not_null = lead.column.is_(None), lead.column.is_not(None)
    rest_after = _row_after(rest, rest_values) if rest else false()
    if value is None:
        # Within the NULL partition; descending, every non-NULL value follows it.
        within = and_(is_null, rest_after)
        return [within, not_null] if lead.descending else [within]
    within = and_(not_null, _row_after(columns, values))
    # Ascending, the NULL partition follows the non-NULL values; descending it came first.
    return [within] if lead.descending else [within, is_null]


def sort_value(row: object, column: SortColumn) -> SortValue:
    value: SortValue = getattr(row, column.column.key)
    return value


def position_of(row: object, columns: Sequence[SortColumn]) -> list[SortValue]:
    """The sort-key values of ``row`` (a record with attributes named like the columns)."""
    return [sort_value(row, c) for c in columns]
