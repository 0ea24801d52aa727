"""Typed fields a resource lets callers filter and sort on, and the literals each type accepts.

A slice declares its fields once (:class:`FieldSpec`) and gathers them in a
:class:`Catalogue`; the filter parser, ``order_by`` and keyset positions all read that catalogue,
so a field is filterable, sortable and page-token safe the same way in every API.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wonder.aip.filtering import FunctionTerm

# NUMERIC(14, 2): money columns hold at most 12 digits before the point.
MAX_MONEY = Decimal("1e12")


class FieldType(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "number"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per field
class Enumeration:
    """The closed set of values a string field takes, for filters that name a value.

    ``values`` are the canonical values (what the API returns, what errors list). ``aliases``
    maps other accepted spellings to a canonical value (e.g. RESO's member name
    "ActiveUnderContract" for "Active Under Contract"). ``stored`` maps a canonical value to the
    column values it stands for, when the column holds other spellings or finer values than the
    field (a listing's sale/lease kind derived from its property type); a value absent from
    ``stored`` is stored as itself. A column value that none of them stands for reads as unset:
    like a NULL, it matches neither ``= v`` nor ``!= v``.
    """

    values: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    stored: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = {*self.aliases.values(), *self.stored} - set(self.values)
        if unknown:
            raise ValueError(f"aliases or stored values of unknown values: {sorted(unknown)}")
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        object.__setattr__(self, "stored", MappingProxyType(dict(self.stored)))

    def canonical(self, text: str) -> str | None:
        """The canonical value ``text`` spells, or None when it is not one of them."""
        if text in self.values:
            return text
        return self.aliases.get(text)

    def column_values(self, value: str) -> tuple[str, ...]:
        """What the column holds for the canonical ``value``."""
        return self.stored.get(value, (value,))


@dataclass(frozen=True)
class FieldSpec:
    """A field consumers may filter or sort on: its API name, storage column and type.

    ``enumeration``: the field takes only those values (STRING fields); a filter naming another
    value, or comparing it with anything but = and !=, is refused with the valid values listed.
    """

    name: str
    column: str
    type: FieldType
    nullable: bool = True
    enumeration: Enumeration | None = field(default=None, repr=False)


FilterValue = str | int | Decimal | float | datetime
SortValue = str | int | Decimal | float | datetime | None


@dataclass(frozen=True)
class FilterFunction:
    """A function a catalogue allows in filters, e.g. ``within(south, west, north, east)``.

    ``build`` turns the numeric arguments into the term the SQL side knows how to compile; it
    raises ValueError with a description the caller sees (the parser adds the position).
    """

    name: str
    parameters: tuple[str, ...]
    build: Callable[[tuple[float, ...]], FunctionTerm]
    aliases: tuple[str, ...] = ()


def fields(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in specs}


@dataclass(frozen=True)
class Catalogue:
    """What one collection's ``filter`` and ``order_by`` may name.

    ``tiebreak`` (the primary key) ends every order so it is total and keyset paging is stable.
    """

    filter_fields: Mapping[str, FieldSpec]
    order_fields: Mapping[str, FieldSpec]
    tiebreak: FieldSpec
    functions: tuple[FilterFunction, ...] = ()
    function_named: Mapping[str, FilterFunction] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_name = {name: f for f in self.functions for name in (f.name, *f.aliases)}
        object.__setattr__(self, "filter_fields", MappingProxyType(dict(self.filter_fields)))
        object.__setattr__(self, "order_fields", MappingProxyType(dict(self.order_fields)))
        object.__setattr__(self, "function_named", MappingProxyType(by_name))
