"""An AIP-160 filter AST (:mod:`wonder.aip.filtering`) as a SQLAlchemy WHERE clause.

Generic over a collection: :class:`FilterColumns` says which model holds the fields'
columns and how each of the catalogue's functions compiles. Every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, true

from wonder.aip.fields import Enumeration
from wonder.aip.filtering import And, CompareOp, Comparison, FilterExpr, Not, Or
from wonder.db.base import Base

_COMPARE: dict[CompareOp, Callable[[Any, Any], ColumnElement[bool]]] = {
    CompareOp.EQ: lambda column, value: column == value,
    CompareOp.NE: lambda column, value: column != value,
    CompareOp.LT: lambda column, value: column < value,
    CompareOp.LE: lambda column, value: column <= value,
    CompareOp.GT: lambda column, value: column > value,
    CompareOp.GE: lambda column, value: column >= value,
}


@dataclass(frozen=True)
class FilterColumns:
    """Where a catalogue's fields live (``FieldSpec.column`` names an attribute of ``model``)
    and the SQL of each of its function terms, by the term's type."""

    model: type[Base]
    functions: Mapping[type, Callable[[Any], ColumnElement[bool]]] = field(default_factory=dict)

    def column(self, name: str) -> Any:
        return getattr(self.model, name)


def _enumerated(enumeration: Enumeration, op: CompareOp, value: str) -> list[str]:
    """The column values ``= value`` (or ``!= value``) matches: for !=, those of every other
    value, so a column value the enumeration does not know matches neither, as NULL does."""
    if op is CompareOp.EQ:
        return list(enumeration.column_values(value))
    if op is CompareOp.NE:
        return [
            stored
            for other in enumeration.values
            if other != value
            for stored in enumeration.column_values(other)
        ]
    raise AssertionError(f"{op} on an enumerated field")  # pragma: no cover - the parser refuses


def compile_filter(expr: FilterExpr | None, columns: FilterColumns) -> ColumnElement[bool]:
    """The WHERE clause of a filter. Two-valued: a comparison on an unset field is false."""
    match expr:
        case None:
            return true()
        case Comparison(spec, op, value):
            column = columns.column(spec.column)
            if spec.enumeration is not None:
                condition = column.in_(_enumerated(spec.enumeration, op, str(value)))
            else:
                condition = _COMPARE[op](column, value)
            return and_(column.is_not(None), condition) if spec.nullable else condition
        case And(operands):
            return and_(*(compile_filter(o, columns) for o in operands))
        case Or(operands):
            return or_(*(compile_filter(o, columns) for o in operands))
        case Not(operand):
            return not_(compile_filter(operand, columns))
    compile_term = columns.functions.get(type(expr))
    if compile_term is None:  # pragma: no cover - a catalogue function without its SQL
        raise AssertionError(f"no SQL for filter term {expr!r}")
    return compile_term(expr)
