"""Execute a validated ``Query`` over rows: filter, order, page, project, serialize.

Rows are lazy: a Property row answers key-index fields from the compact state and builds the
full record only when a filter, an order or the response needs a field that is not cheap.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from wonder.sandbox.trestle.data import ListingState, Record, listing_index, location
from wonder.sandbox.trestle.odata import Query, key_values, lower_bound
from wonder.sandbox.trestle.records import build_media, build_open_houses, build_property
from wonder.sandbox.trestle.schema import EntityType, Kind, format_timestamp
from wonder.sandbox.trestle.state import ListingStore


class Row(Protocol):
    def get(self, name: str) -> object: ...

    def record(self) -> Record: ...


class RecordRow:
    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = record

    def get(self, name: str) -> object:
        return self._record.get(name)

    def record(self) -> Record:
        return self._record


CHEAP_PROPERTY_FIELDS = frozenset(
    {
        "ListingKey",
        "ListingId",
        "ModificationTimestamp",
        "StandardStatus",
        "PhotosCount",
        "PhotosChangeTimestamp",
    }
)


class PropertyRow:
    __slots__ = ("_record", "index", "store")

    def __init__(self, store: ListingStore, index: int) -> None:
        self.store = store
        self.index = index
        self._record: Record | None = None

    def get(self, name: str) -> object:
        if name in CHEAP_PROPERTY_FIELDS:
            return self.store.key_field(self.index, name)
        if name == "PostalCode":
            return location(self.store.seed, self.index)[1]
        return self.record().get(name)

    def cheap(self, select: tuple[str, ...]) -> bool:
        """Whether ``select`` can be answered without building the record."""
        if self.store.bad[self.index] == 3 and "ListingKey" in select:
            return False
        return all(name in CHEAP_PROPERTY_FIELDS or name == "PostalCode" for name in select)

    def record(self) -> Record:
        if self._record is None:
            state = self.store.state(self.index)
            self._record = build_property(self.store.seed, state, self.store.roster)
        return self._record


# ---------------------------------------------------------------- candidate rows

KEY_ORDER: tuple[tuple[str, bool], ...] = (("ListingKey", False),)
TIMESTAMP_ORDERS = (
    (("ModificationTimestamp", False),),
    (("ModificationTimestamp", False), ("ListingKey", False)),
)


def property_candidates(
    store: ListingStore, query: Query, after_index: int = -1
) -> tuple[Iterator[PropertyRow], bool]:
    """Rows that may match, and whether they already come in the requested order."""
    order = query.orderby or KEY_ORDER
    filter_node = query.filter
    keys = key_values(filter_node, "ListingKey") if filter_node is not None else None
    if keys is not None:
        indexes = sorted(
            i
            for i in (listing_index(key) for key in keys)
            if i is not None and i > after_index and store.exists(i)
        )
        return (PropertyRow(store, i) for i in indexes), order == KEY_ORDER
    bound = lower_bound(filter_node, "ModificationTimestamp") if filter_node is not None else None
    lowest = bound.value if bound is not None and isinstance(bound.value, int) else None
    if order in TIMESTAMP_ORDERS and after_index < 0:
        return (PropertyRow(store, i) for i in store.indexes_by_timestamp(lowest)), True
    if lowest is not None:
        rows = (
            PropertyRow(store, i) for i in store.indexes_by_timestamp(lowest) if i > after_index
        )
        return rows, False
    return (PropertyRow(store, i) for i in store.indexes_by_key(after_index)), order == KEY_ORDER


def _never() -> bool:
    return False


def media_rows(
    store: ListingStore, query: Query, *, withheld: Callable[[], bool] = _never
) -> tuple[Iterator[RecordRow], bool]:
    """Media of the listings asked for; a listing's media are left out when ``withheld()``
    (drawn once per listing that has media: the empty-media fault)."""

    def build(seed: int, state: ListingState) -> list[Record]:
        records = build_media(seed, state)
        return [] if records and withheld() else records

    return _per_listing_rows(store, query, "ResourceRecordKey", "MediaKey", build)


def open_house_rows(store: ListingStore, query: Query) -> tuple[Iterator[RecordRow], bool]:
    return _per_listing_rows(store, query, "ListingKey", "OpenHouseKey", build_open_houses)


def _per_listing_rows(
    store: ListingStore,
    query: Query,
    parent_field: str,
    key_field: str,
    build: Callable[[int, ListingState], list[Record]],
) -> tuple[Iterator[RecordRow], bool]:
    """Records built per listing (media, open houses): of the listings the filter names, if any."""
    filter_node = query.filter
    keys = key_values(filter_node, parent_field) if filter_node is not None else None
    if keys is not None:
        indexes: Iterable[int] = sorted(
            i for i in (listing_index(k) for k in keys) if i is not None and store.exists(i)
        )
    else:
        indexes = store.indexes_by_key()

    def rows() -> Iterator[RecordRow]:
        for index in indexes:
            for record in build(store.seed, store.state(index)):
                yield RecordRow(record)

    natural = query.orderby in ((), ((key_field, False),))
    return rows(), natural


def roster_rows(records: Iterable[Record], key: str, query: Query) -> tuple[Iterator[Row], bool]:
    natural = query.orderby in ((), ((key, False),))
    return (RecordRow(r) for r in records), natural


# ---------------------------------------------------------------- execution


def _sort_key(value: object) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def _row_sort_key(name: str) -> Callable[[Row], tuple[int, Any]]:
    return lambda row: _sort_key(row.get(name))


def execute(
    rows: Iterator[Row], natural: bool, query: Query, *, paginate: bool = True
) -> tuple[list[Row], int | None]:
    """Filter, order and page; returns the page and the total count when ``$count=true``."""
    predicate = query.predicate
    matching: Iterator[Row] = (
        (row for row in rows if predicate(row.get)) if predicate is not None else rows
    )
    start = query.skip if paginate else 0
    if natural and not query.count:
        return list(itertools.islice(matching, start, start + query.top)), None
    found = list(matching)
    if not natural:
        for name, descending in reversed(query.orderby or ((query.entity.key, False),)):
            found.sort(key=_row_sort_key(name), reverse=descending)
    return found[start : start + query.top], len(found)


Serialize = Callable[[Row, tuple[str, ...] | None, str], dict[str, Any]]
# Fields whose values are paths on the sandbox, served as URLs on the host the client used.
LINK_FIELDS = ("MediaURL",)


def serializer(entity: EntityType) -> Serialize:
    """``serialize(row, select, base_url)``: a row as served (links under ``base_url``)."""
    timestamps = tuple(name for name, f in entity.fields.items() if f.kind is Kind.TIMESTAMP)
    links = tuple(name for name in LINK_FIELDS if name in entity.fields)

    def serialize(row: Row, select: tuple[str, ...] | None, base_url: str) -> dict[str, Any]:
        if select is None or "*" in select:
            out = dict(row.record())
        elif isinstance(row, PropertyRow) and row.cheap(select):
            out = {name: row.get(name) for name in select}
        else:
            record = row.record()
            out = {name: record[name] for name in select if name in record}
        for name in timestamps:
            value = out.get(name)
            if type(value) is int:
                out[name] = format_timestamp(value)
        for name in links:
            value = out.get(name)
            if isinstance(value, str) and value.startswith("/"):
                out[name] = base_url + value
        return out

    return serialize
