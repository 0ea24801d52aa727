"""The query options every Buildium list shares: ``limit`` (default 50, capped at 1000),
``offset``, ``orderby`` ("Id asc,Name desc"; property names case-insensitive), ``lastupdatedfrom``
/ ``lastupdatedto`` (UTC ``YYYY-MM-DDTHH:MM:SSZ``, both inclusive, compared to the second), and
array filters (``propertyids=1&propertyids=2``; comma-separated values are accepted too).

Parameter names are case-sensitive: a known name in another case is a 404, as Buildium answers.
A bad value raises ``QueryError`` (a 400 naming the parameter).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from wonder.sandbox.buildium.config import DEFAULT_LIMIT, MAX_LIMIT
from wonder.sandbox.clock import MICROS, to_micros

PAGING = ("limit", "offset", "orderby")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z?$")


class QueryError(Exception):
    def __init__(self, status: int, key: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Query:
    values: Mapping[str, list[str]]

    @classmethod
    def parse(cls, pairs: Sequence[tuple[str, str]], known: Iterable[str]) -> Query:
        names = {name.lower(): name for name in known}
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            proper = names.get(name.lower())
            if proper is not None and proper != name:
                raise QueryError(404, name, f"Unknown query parameter '{name}'.")
            values.setdefault(name, []).append(value)
        return cls(values)

    def one(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[-1] if found else None

    def ints(self, name: str) -> list[int] | None:
        found = self.values.get(name)
        if not found:
            return None
        try:
            return [int(part) for value in found for part in value.split(",") if part.strip()]
        except ValueError:
            raise QueryError(400, name, f"The value of '{name}' must be integers.") from None

    def strings(self, name: str) -> list[str] | None:
        found = self.values.get(name)
        if not found:
            return None
        return [part.strip() for value in found for part in value.split(",") if part.strip()]

    def integer(self, name: str, default: int) -> int:
        raw = self.one(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise QueryError(400, name, f"The value of '{name}' must be an integer.") from None

    def moment(self, name: str) -> int | None:
        """A date-time filter in whole epoch seconds."""
        raw = self.one(name)
        if raw is None:
            return None
        if not _DATETIME.match(raw):
            raise QueryError(400, name, f"'{name}' must be formatted YYYY-MM-DDTHH:MM:SSZ.")
        parsed = datetime.fromisoformat(raw.rstrip("Z")[:26]).replace(tzinfo=UTC)
        return to_micros(parsed) // MICROS

    def day(self, name: str, *, required: bool = False) -> date | None:
        raw = self.one(name)
        if raw is None:
            if required:
                raise QueryError(400, name, f"'{name}' is required.")
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise QueryError(400, name, f"'{name}' must be formatted YYYY-MM-DD.") from None


def updated_between(query: Query, updated: Mapping[int, int]) -> Callable[[int], bool]:
    """Whether a record id was last updated inside ``lastupdatedfrom/to`` (inclusive)."""
    low, high = query.moment("lastupdatedfrom"), query.moment("lastupdatedto")

    def keep(record_id: int) -> bool:
        if low is None and high is None:
            return True
        second = updated.get(record_id, 0) // MICROS
        return (low is None or second >= low) and (high is None or second <= high)

    return keep


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, str(value).lower())


def order(records: list[dict[str, Any]], orderby: str | None) -> list[dict[str, Any]]:
    """Stable sorts, last key first; unknown properties are a 400."""
    if not orderby:
        return records
    terms: list[tuple[str, bool]] = []
    for term in orderby.split(","):
        parts = term.strip().split()
        if (
            not parts
            or len(parts) > 2
            or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc"))
        ):
            raise QueryError(400, "orderby", f"Invalid orderby term '{term.strip()}'.")
        terms.append((parts[0], len(parts) == 2 and parts[1].lower() == "desc"))
    if records:
        fields = {name.lower(): name for name in records[0]}
        for name, _ in terms:
            if name.lower() not in fields:
                raise QueryError(400, "orderby", f"Cannot order by '{name}'.")
        for name, descending in reversed(terms):
            field = fields[name.lower()]
            records.sort(key=lambda r: _sort_value(r.get(field)), reverse=descending)
    return records


def page(query: Query, records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The ``limit``/``offset`` slice of ``records`` (already ordered) and the total."""
    limit = query.integer("limit", DEFAULT_LIMIT)
    offset = query.integer("offset", 0)
    if limit < 1 or offset < 0:
        key = "limit" if limit < 1 else "offset"
        raise QueryError(400, key, f"'{key}' is out of range.")
    limit = min(limit, MAX_LIMIT)
    return records[offset : offset + limit], len(records)
