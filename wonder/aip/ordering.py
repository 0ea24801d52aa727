"""AIP-132 ``order_by`` over a catalogue, and keyset positions to and from page tokens.

Every order ends with the catalogue's tiebreak (its primary key), so it is total and a page's
last row is an exact position. A position travels as JSON inside a signed page token; decoding
checks each value against what its column can hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from wonder.aip.fields import MAX_MONEY, Catalogue, FieldSpec, FieldType, SortValue
from wonder.aip.pagetoken import JsonScalar
from wonder.errors import InvalidArgument, echo
from wonder.timestamps import parse_timestamp_or_none

MAX_ORDER_BY_LENGTH = 512
_INT64 = 2**63


@dataclass(frozen=True)
class OrderKey:
    field: FieldSpec
    descending: bool = False


def parse_order_by(text: str, catalogue: Catalogue) -> tuple[OrderKey, ...]:
    """``"list_price desc, modification_time"`` -> keys, ending with the catalogue's tiebreak."""
    if len(text) > MAX_ORDER_BY_LENGTH:
        raise InvalidArgument("order_by", f"longer than {MAX_ORDER_BY_LENGTH} characters")
    if not text.strip():
        return (OrderKey(catalogue.tiebreak),)
    keys: list[OrderKey] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            raise InvalidArgument("order_by", "empty sort field (stray ',')")
        if len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise InvalidArgument(
                "order_by", f"{echo(part.strip())}: expected '<field>' or '<field> desc'"
            )
        spec = catalogue.order_fields.get(words[0])
        if spec is None:
            known = ", ".join(sorted(catalogue.order_fields))
            raise InvalidArgument(
                "order_by", f"unknown sort field {echo(words[0])} (sortable fields: {known})"
            )
        if any(key.field == spec for key in keys):
            raise InvalidArgument("order_by", f"field {echo(words[0])} appears twice")
        keys.append(OrderKey(spec, descending=len(words) == 2 and words[1] == "desc"))
    if not any(key.field == catalogue.tiebreak for key in keys):
        keys.append(OrderKey(catalogue.tiebreak))
    return tuple(keys)


def canonical_order_by(keys: Sequence[OrderKey]) -> str:
    return ", ".join(f"{k.field.name}{' desc' if k.descending else ''}" for k in keys)


def position_to_json(specs: Sequence[FieldSpec], values: Sequence[SortValue]) -> list[JsonScalar]:
    """The sort-key values of a row in a JSON-safe form (exact: decimals and times as text)."""
    out: list[JsonScalar] = []
    for spec, value in zip(specs, values, strict=True):
        if value is None:
            out.append(None)
        elif spec.type is FieldType.DECIMAL or spec.type is FieldType.TIMESTAMP:
            out.append(value.isoformat() if isinstance(value, datetime) else str(value))
        else:
            out.append(value if not isinstance(value, Decimal | datetime) else str(value))
    return out


def position_from_json(specs: Sequence[FieldSpec], raw: Sequence[JsonScalar]) -> list[SortValue]:
    """The inverse of :func:`position_to_json`; ValueError if the shape does not match."""
    if len(raw) != len(specs):
        raise ValueError("position length does not match the sort keys")
    values: list[SortValue] = []
    for spec, value in zip(specs, raw, strict=True):
        if value is None:
            if not spec.nullable:
                raise ValueError(f"{spec.name} cannot be null")
            values.append(None)
            continue
        values.append(_position_value(spec, value))
    return values


def _position_value(spec: FieldSpec, value: JsonScalar) -> SortValue:
    """One decoded sort key, checked against what its column can hold (a signed token is still
    input: it must never reach the database as NaN, an overflowing number or an odd time)."""
    match spec.type:
        case FieldType.STRING if isinstance(value, str) and "\x00" not in value:
            return value
        case FieldType.INTEGER if isinstance(value, int) and not isinstance(value, bool):
            if -_INT64 <= value < _INT64:
                return value
        case FieldType.FLOAT if isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value) and abs(value) < 1e300:
                return float(value)
        case FieldType.DECIMAL if isinstance(value, str):
            try:
                amount = Decimal(value)
            except InvalidOperation as exc:
                raise ValueError(f"bad decimal for {spec.name}") from exc
            if amount.is_finite() and abs(amount) < MAX_MONEY:
                return amount
        case FieldType.TIMESTAMP if isinstance(value, str):
            parsed = parse_timestamp_or_none(value)
            if parsed is not None:
                return parsed
    raise ValueError(f"bad value for {spec.name}")
