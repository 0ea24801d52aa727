"""An in-memory ``ODataSource``: just enough OData for the ingest's own queries.

Understands the filters the ingest builds (comparisons on timestamps, strings and numbers joined
by and/or with parentheses), ``$orderby`` on several keys with asc/desc, ``$top``, ``$select``,
``$expand=Media`` and nextLinks, and counts requests like the real client.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wonder.clients.odata import ODataQuery
from wonder.timestamps import parse_timestamp

_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>'(?:[^']|'')*')"
    r"|(?P<ts>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_]+))"
)


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"bad filter at {pos}: {text!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind or "")
        if kind == "str":
            tokens.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "ts":
            tokens.append(("lit", parse_timestamp(value)))
        elif kind == "num":
            tokens.append(("lit", float(value)))
        else:
            tokens.append((kind or "", value))
    return tokens


Predicate = Callable[[dict[str, Any]], bool]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "ge": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "le": lambda a, b: a is not None and a <= b,
}


def parse_filter(text: str) -> Predicate:
    tokens = _tokens(text)
    pos = 0

    def peek() -> tuple[str, Any] | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> tuple[str, Any]:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr() -> Predicate:
        parts = [conj()]
        while (tok := peek()) is not None and tok == ("word", "or"):
            take()
            parts.append(conj())
        return lambda r: any(p(r) for p in parts)

    def conj() -> Predicate:
        parts = [atom()]
        while (tok := peek()) is not None and tok == ("word", "and"):
            take()
            parts.append(atom())
        return lambda r: all(p(r) for p in parts)

    def atom() -> Predicate:
        kind, value = take()
        if kind == "lp":
            inner = expr()
            assert take()[0] == "rp"
            return inner
        name = value
        _, op = take()
        _, literal = take()
        compare = _OPS[op]
        return lambda r: compare(_value(r, name, literal), literal)

    predicate = expr()
    assert pos == len(tokens), text
    return predicate


def _value(record: dict[str, Any], name: str, literal: Any) -> Any:
    value = record.get(name)
    if isinstance(literal, datetime) and isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(literal, float) and isinstance(value, int | float):
        return float(value)
    return value


@dataclass(frozen=True)
class FakePage:
    records: list[dict[str, Any]]
    next_link: str | None
    count: int | None = None


@dataclass
class FakeSource:
    """Resources as lists of records; Media also reachable by $expand on Property."""

    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 10
    requests_made: int = 0
    quota: Any = None
    # Keys whose $expand=Media comes back empty (the source does that under load).
    empty_expand: set[str] = field(default_factory=set)
    queries: list[dict[str, Any]] = field(default_factory=list)
    # Raise this after that many requests (simulates a crash mid-walk).
    fail_after: int | None = None

    def records(self, resource: str) -> list[dict[str, Any]]:
        return self.resources.setdefault(resource, [])

    def pages(
        self,
        resource: str,
        query: ODataQuery | None = None,
        *,
        replication: bool = False,
        follow_next_links: bool = True,
    ) -> Iterator[FakePage]:
        query = query or ODataQuery()
        select, filter, orderby = query.select, query.filter, query.orderby
        top, skip, expand = query.top, query.skip, query.expand
        self.queries.append(
            {"resource": resource, "filter": filter, "orderby": orderby, "select": select}
        )
        predicate = parse_filter(filter) if filter else (lambda r: True)
        rows = [r for r in self.records(resource) if predicate(r)]
        for part in reversed((orderby or "").split(",")):
            if not part:
                continue
            name, _, direction = part.strip().partition(" ")
            rows.sort(key=_sorter(name), reverse=direction == "desc")
        size = top or self.page_size
        start = skip or 0
        while True:
            self._count_request()
            chunk = rows[start : start + size]
            start += size
            out = []
            for row in chunk:
                record = {k: v for k, v in row.items() if not select or k in select}
                if expand == "Media":
                    key = row.get("ListingKey")
                    media = [m for m in self.records("Media") if m.get("ResourceRecordKey") == key]
                    media.sort(key=lambda m: m.get("Order") or 0)
                    record["Media"] = [] if key in self.empty_expand else media
                out.append(record)
            next_link = f"fake://{resource}/{start}" if len(chunk) == size else None
            yield FakePage(out, next_link)
            if not follow_next_links or not chunk or next_link is None:
                return

    def resume(self, next_link: str) -> Iterator[FakePage]:
        raise NotImplementedError

    def _count_request(self) -> None:
        self.requests_made += 1
        if self.fail_after is not None and self.requests_made > self.fail_after:
            raise ConnectionError("fake source: simulated crash")


def _sorter(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda record: _sort_key(record.get(name))


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}T", value):
        try:
            return (1, parse_timestamp(value).isoformat())
        except ValueError:
            return (1, value)
    return (1, value)


BASE = datetime(2026, 1, 31, 12, tzinfo=UTC)


def stamp(seconds: float) -> str:
    return (
        (BASE + timedelta(seconds=seconds))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def make_listing(
    index: int, *, seconds: float = 0, photos: int = 2, **fields: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ListingKey": f"L{index:04d}",
        "ListingId": f"MLS{index}",
        "ModificationTimestamp": stamp(seconds),
        "StandardStatus": "Active",
        "ListPrice": 100000 + index * 1000,
        "City": "Austin",
        "PhotosCount": photos,
        "PhotosChangeTimestamp": stamp(0),
        "Appliances": "Dishwasher,Range",
    }
    record.update(fields)
    return record


def make_media(listing_key: str, count: int, *, version: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "MediaKey": f"{listing_key}-M{order}-v{version}",
            "ResourceRecordKey": listing_key,
            "ResourceName": "Property",
            "Order": order,
            "MediaURL": f"https://media.example.test/{listing_key}/{order}-{version}.jpg",
            "ModificationTimestamp": stamp(0),
        }
        for order in range(count)
    ]
