"""Keyset paging: a total order of columns and "strictly after this row" as SQL (no OFFSET).

The position of the last row of a page becomes a predicate in the sort order; with one
direction and no nullable column it is a row-value comparison an index serves directly.
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


def sort_value(row: object, column: SortColumn) -> SortValue:
    value: SortValue = getattr(row, column.column.key)
    return value


def position_of(row: object, columns: Sequence[SortColumn]) -> list[SortValue]:
    """The sort-key values of ``row`` (a record with attributes named like the columns)."""
    return [sort_value(row, c) for c in columns]
