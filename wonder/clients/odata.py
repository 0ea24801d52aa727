"""Pure OData v4 helpers: the query value object, literals, keyset filters and query strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from wonder.timestamps import format_timestamp

# Characters left readable in a query string; everything else is percent-encoded.
_QUERY_SAFE = "$,'():/"


@dataclass(frozen=True)
class ODataQuery:
    """The system query options of one OData request (``$select`` … ``$count``).

    Every field is optional; ``to_params`` sends only what was asked. ``select`` is kept as a
    tuple, so a query can be hashed, compared and shared between the client and its callers.
    """

    select: Sequence[str] | None = None
    filter: str | None = None
    orderby: str | None = None
    top: int | None = None
    skip: int | None = None
    expand: str | None = None
    count: bool = False

    def __post_init__(self) -> None:
        if self.select is not None:
            if isinstance(self.select, str):
                raise TypeError("ODataQuery.select takes a sequence of field names, not a str")
            object.__setattr__(self, "select", tuple(self.select))
        for name in ("top", "skip"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"ODataQuery.{name} must be >= 0, got {value}")

    def to_params(self, *, default_top: int | None = None) -> dict[str, str]:
        """The query options as ``$name → value``, in a stable order; ``$top`` falls back to
        ``default_top`` (the client's page size) when the query does not set it."""
        params: dict[str, str] = {}
        if self.select:
            params["$select"] = ",".join(self.select)
        if self.filter:
            params["$filter"] = self.filter
        if self.orderby:
            params["$orderby"] = self.orderby
        top = self.top if self.top is not None else default_top
        if top is not None:
            params["$top"] = str(top)
        if self.skip is not None:
            params["$skip"] = str(self.skip)
        if self.expand:
            params["$expand"] = self.expand
        if self.count:
            params["$count"] = "true"
        return params


def quote_string(value: str) -> str:
    """An OData string literal, embedded quotes doubled: ``O'Hara`` → ``'O''Hara'``."""
    return "'" + value.replace("'", "''") + "'"


def keyset_filter(
    timestamp_field: str,
    key_field: str,
    after_timestamp: datetime | None,
    after_key: str | None,
    since_inclusive: datetime | None = None,
) -> str:
    """The ``$filter`` for rows strictly after the position ``(after_timestamp, after_key)``.

    Order the query by ``timestamp_field,key_field`` too. Positions:

    - ``(T, K)`` → ``(TS gt T) or (TS eq T and KEY gt 'K')``: the keyset tie-break that never
      skips rows sharing a timestamp;
    - ``(T, None)`` → ``TS gt T``;
    - no position, ``since_inclusive=S`` → ``TS ge S`` (the first page of an incremental run).

    With both a position and ``since_inclusive``, the later of the two wins: a ``since_inclusive``
    after ``after_timestamp`` yields ``TS ge S``.
    """
    if after_timestamp is None:
        if after_key is not None:
            raise ValueError("after_key needs after_timestamp")
        if since_inclusive is None:
            raise ValueError("keyset_filter needs a position or since_inclusive")
        return f"{timestamp_field} ge {format_timestamp(since_inclusive)}"
    if since_inclusive is not None and _as_utc(since_inclusive) > _as_utc(after_timestamp):
        return f"{timestamp_field} ge {format_timestamp(since_inclusive)}"
    ts = format_timestamp(after_timestamp)
    if after_key is None:
        return f"{timestamp_field} gt {ts}"
    return (
        f"({timestamp_field} gt {ts}) or "
        f"({timestamp_field} eq {ts} and {key_field} gt {quote_string(after_key)})"
    )


def build_query(params: Mapping[str, str]) -> str:
    """Encode query options, keeping ``$``, quotes, commas and parentheses readable."""
    return "&".join(
        f"{quote(name, safe=_QUERY_SAFE)}={quote(value, safe=_QUERY_SAFE)}"
        for name, value in params.items()
    )


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
