"""Typed, strict reads of one field of a JSON source record, for every slice's normalizer.

Each accessor returns the value (None when absent or null, unless required) or raises
:class:`FieldError` naming the field and the problem (wrong type, out of range, too long, NUL
characters, more than two decimals of money), which the normalizer turns into a rejection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from wonder.timestamps import parse_timestamp

_MONEY_LIMIT = Decimal(10) ** 12  # NUMERIC(14, 2)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MISSING = object()


class FieldError(Exception):
    """One field of a source record is missing or not what its column can hold."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")


class FieldReader:
    """Typed accessors over one record; each raises ``FieldError`` naming the field."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._record = record

    def key(self, name: str) -> str:
        value = self._record.get(name, _MISSING)
        if value is None or value is _MISSING:
            raise FieldError(name, "null" if value is None else "missing")
        if not isinstance(value, str):
            raise FieldError(name, f"expected a string, got {type_name(value)}")
        if not value or len(value) > 64:
            raise FieldError(name, f"length {len(value)} is outside 1..64")
        return value

    def string(self, name: str, max_length: int) -> str | None:
        value = self.text(name)
        if value is not None and len(value) > max_length:
            raise FieldError(name, f"length {len(value)} exceeds {max_length}")
        return value

    def text(self, name: str) -> str | None:
        value = self._record.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise FieldError(name, f"expected a string, got {type_name(value)}")
        if "\x00" in value:
            raise FieldError(name, "contains a NUL character")
        return value

    def enum(self, name: str, values: Mapping[str, str]) -> str | None:
        """A known value (member name or display string) as its display string."""
        value = self.text(name)
        if value is None:
            return None
        if value not in values:
            raise FieldError(name, f"{value!r} is not a known value")
        return values[value]

    def integer(self, name: str, minimum: int, maximum: int) -> int | None:
        value = self._record.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(name, f"expected an integer, got {type_name(value)} {value!r}")
        if not minimum <= value <= maximum:
            raise FieldError(name, f"{value} is outside {minimum}..{maximum}")
        return value

    def number(self, name: str, minimum: float, maximum: float) -> float | None:
        value = self._record.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise FieldError(name, f"expected a number, got {type_name(value)} {value!r}")
        number = float(value)
        if not math.isfinite(number) or not minimum <= number <= maximum:
            raise FieldError(name, f"{value} is outside {minimum}..{maximum}")
        return number

    def money(self, name: str) -> Decimal | None:
        value = self._record.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise FieldError(name, f"expected a number, got {type_name(value)} {value!r}")
        try:
            # repr of a float is its shortest exact decimal form: 425000.1 stays 425000.1.
            amount = Decimal(value) if isinstance(value, int | Decimal) else Decimal(repr(value))
        except InvalidOperation as exc:  # pragma: no cover - every int/float converts
            raise FieldError(name, f"{value!r} is not a decimal") from exc
        if not amount.is_finite():
            raise FieldError(name, f"{value!r} is not finite")
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2:
            raise FieldError(name, f"{value!r} has more than 2 decimal places")
        if abs(amount) >= _MONEY_LIMIT:
            raise FieldError(name, f"{value!r} is out of range")
        return amount.quantize(Decimal("0.01"))

    def date(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        if not _DATE.match(value):
            raise FieldError(name, f"{value!r} is not a date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise FieldError(name, f"{value!r} is not a valid date") from exc

    def timestamp(self, name: str) -> datetime | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise FieldError(name, str(exc)) from exc

    def required_timestamp(self, name: str) -> datetime:
        if name not in self._record:
            raise FieldError(name, "missing")
        value = self.timestamp(name)
        if value is None:
            raise FieldError(name, "null")
        return value


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__
