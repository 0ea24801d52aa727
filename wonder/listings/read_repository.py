"""Read queries for the listing API (async SQLAlchemy Core).

Every query is built from the typed AST of :mod:`wonder.aip.filtering` (compiled by
:mod:`wonder.db.filter_sql`), so every value travels as a bound parameter. Paging is keyset only
(:mod:`wonder.db.keyset`): the position of the last row of a page becomes a "strictly after"
predicate in the sort order.

Rows come back as typed records (named tuples of the columns the API shows), not ORM objects:
no identity map, no attribute instrumentation, and never the large ``raw`` source documents.
The fixed statements are built once at import; the FULL view reads a listing's agent and office
in the listing's own query (outer joins) and its media in one more. A listing or photo whose
stored message is current (``wonder.listings.rendered``) comes back as that message, its columns
NULL; any other comes back as its columns, to be mapped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Text,
    and_,
    any_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import Executable, Select
from sqlalchemy.sql.elements import BindParameter, Label

from wonder.aip.fields import SortValue
from wonder.aip.filtering import FilterExpr, canonical_filter
from wonder.aip.ordering import OrderKey, canonical_order_by
from wonder.db.base import Base
from wonder.db.filter_sql import FilterColumns
from wonder.db.filter_sql import compile_filter as compile_any_filter
from wonder.db.keyset import SortColumn, after_position, order_clauses, seek_partitions
from wonder.db.models import Listing, ListingChange, ListingHistory, ListingMedia, Member, Office
from wonder.db.read_only import Statement
from wonder.listings.api_version import RENDER_VERSION
from wonder.listings.catalogue import Within
from wonder.lru import LruCache


def _listing_column(name: str) -> InstrumentedAttribute[Any]:
    column: InstrumentedAttribute[Any] = getattr(Listing, name)
    return column


def _within_sql(box: Within) -> ColumnElement[bool]:
    longitude = (
        Listing.longitude.between(box.west, box.east)
        if box.west <= box.east
        else or_(Listing.longitude >= box.west, Listing.longitude <= box.east)
    )
    return and_(
        Listing.latitude.is_not(None),
        Listing.longitude.is_not(None),
        Listing.latitude.between(box.south, box.north),
        longitude,
    )


LISTING_COLUMNS = FilterColumns(Listing, {Within: _within_sql})


def compile_filter(expr: FilterExpr | None) -> ColumnElement[bool]:
    """The WHERE clause of a listing filter."""
    return compile_any_filter(expr, LISTING_COLUMNS)


def listing_sort_columns(order: Sequence[OrderKey]) -> list[SortColumn]:
    return [
        SortColumn(_listing_column(k.field.column), k.descending, k.field.nullable) for k in order
    ]


MEDIA_ORDER = (
    SortColumn(ListingMedia.order, nullable=True),
    SortColumn(ListingMedia.media_key),
)
HISTORY_ORDER = (
    SortColumn(ListingHistory.changed_at),
    SortColumn(ListingHistory.id),
)


# --- records ---------------------------------------------------------------------------------


class ListingRecord(NamedTuple):
    """A listing as the API shows it: every column but ``raw`` and the ingest's media marker.

    ``public_remarks`` (FULL view only) is None in rows read for the BASIC view.
    """

    listing_key: str
    listing_id: str | None
    standard_status: str | None
    mls_status: str | None
    property_type: str | None
    property_sub_type: str | None
    list_price: Decimal | None
    original_list_price: Decimal | None
    close_price: Decimal | None
    bedrooms_total: int | None
    bathrooms_total: int | None
    living_area: float | None
    lot_size_acres: float | None
    year_built: int | None
    unparsed_address: str | None
    street_number: str | None
    street_name: str | None
    unit_number: str | None
    city: str | None
    state_or_province: str | None
    postal_code: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    public_remarks: str | None
    list_agent_key: str | None
    list_office_key: str | None
    listing_contract_date: date | None
    close_date: date | None
    photos_count: int | None
    photos_change_timestamp: datetime | None
    modification_timestamp: datetime
    deleted_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    change_seq: int


class MediaRecord(NamedTuple):
    media_key: str
    listing_key: str
    order: int | None
    media_url: str | None
    media_category: str | None
    mime_type: str | None
    short_description: str | None
    image_width: int | None
    image_height: int | None
    modification_timestamp: datetime | None


class AgentRecord(NamedTuple):
    member_key: str
    member_mls_id: str | None
    first_name: str | None
    last_name: str | None
    full_name: str | None
    email: str | None
    phone: str | None
    office_key: str | None
    status: str | None
    modification_timestamp: datetime
    deleted_at: datetime | None
    updated_at: datetime


class OfficeRecord(NamedTuple):
    office_key: str
    office_mls_id: str | None
    name: str | None
    phone: str | None
    email: str | None
    city: str | None
    state_or_province: str | None
    postal_code: str | None
    status: str | None
    modification_timestamp: datetime
    deleted_at: datetime | None
    updated_at: datetime


class HistoryRecord(NamedTuple):
    id: int
    listing_key: str
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: datetime
    recorded_at: datetime


class ChangeRecord(NamedTuple):
    seq: int
    listing_key: str
    kind: str
    changed_at: datetime


class ListingWithParties(NamedTuple):
    """A listing as read for the API and, for the FULL view, its listing agent and office.

    ``stored``: the BASIC message the ingest stored with the row (``wonder.listings.rendered``)
    while it is current, with ``remarks`` for the FULL view; ``listing``: the columns, read only
    when it is not (written by an older release, or since by a write that did not render).
    ``position``: a page row's sort values, for its page token.
    """

    listing_key: str
    stored: bytes | None
    listing: ListingRecord | None
    agent: AgentRecord | None = None
    office: OfficeRecord | None = None
    position: tuple[Any, ...] = ()
    remarks: str | None = None


class StoredMedia(NamedTuple):
    """A photo's stored ``ListingMedia`` message, read in place of its columns while current."""

    listing_key: str
    message: bytes


# --- statements ------------------------------------------------------------------------------


def record_columns(model: type[Base], record: type[tuple[Any, ...]]) -> list[ColumnElement[Any]]:
    """The table columns behind ``record``'s fields, in field order (labelled by field)."""
    mapped = model.__mapper__.columns  # keyed by attribute name
    fields: tuple[str, ...] = record._fields  # type: ignore[attr-defined]
    return [mapped[name].label(name) for name in fields]


_LISTING = record_columns(Listing, ListingRecord)
_AGENT = record_columns(Member, AgentRecord)
_OFFICE = record_columns(Office, OfficeRecord)
_MEDIA = record_columns(ListingMedia, MediaRecord)
_HISTORY = record_columns(ListingHistory, HistoryRecord)
_CHANGE = record_columns(ListingChange, ChangeRecord)

# A row's stored messages are current while no write has moved change_seq past the one they
# were rendered at, under this release's rendering. Otherwise (and only then) its columns are
# read: each column comes back NULL beside a current message, which costs psycopg next to nothing.
_VERSION: ColumnElement[int] = literal_column(str(RENDER_VERSION))
LISTING_MESSAGE_CURRENT = and_(
    Listing.api_seq == Listing.change_seq, Listing.api_version == _VERSION
)
MEDIA_MESSAGE_CURRENT = ListingMedia.api_version == _VERSION
# Their negations, NULL counted as not current: `wonder listings render` fills these rows and
# `wonder status` counts them.
LISTING_MESSAGE_STALE = not_(func.coalesce(LISTING_MESSAGE_CURRENT, false()))
MEDIA_MESSAGE_STALE = not_(func.coalesce(MEDIA_MESSAGE_CURRENT, false()))
MediaByListing = dict[str, list[StoredMedia | MediaRecord]]


def _unless(
    current: ColumnElement[bool], columns: Sequence[ColumnElement[Any]]
) -> list[Label[Any]]:
    """``columns`` (labelled), each NULL where ``current`` holds."""
    unless: list[Label[Any]] = []
    for column in columns:
        assert isinstance(column, Label)
        unless.append(case((current, null()), else_=column.element).label(column.name))
    return unless


_REMARKS_AT = ListingRecord._fields.index("public_remarks")
_BASIC_COLUMNS = [
    null().label("public_remarks") if i == _REMARKS_AT else column
    for i, column in enumerate(_LISTING)
]
_LEAD = 3  # the key, the stored message and (FULL view) the remarks come first
_AGENT_AT = _LEAD + len(_LISTING)
_OFFICE_AT = _AGENT_AT + len(_AGENT)
_STORED = case((LISTING_MESSAGE_CURRENT, Listing.api_basic)).label("stored")
_LISTINGS_BASIC: Select[Any] = select(
    Listing.listing_key,
    _STORED,
    null().label("remarks"),
    *_unless(LISTING_MESSAGE_CURRENT, _BASIC_COLUMNS),
)
_LISTINGS_FULL: Select[Any] = select(
    Listing.listing_key,
    _STORED,
    case((LISTING_MESSAGE_CURRENT, Listing.public_remarks)).label("remarks"),
    *_unless(LISTING_MESSAGE_CURRENT, _LISTING),
    *_AGENT,
    *_OFFICE,
).select_from(
    Listing.__table__.outerjoin(Member, Member.member_key == Listing.list_agent_key).outerjoin(
        Office, Office.office_key == Listing.list_office_key
    )
)
_MEDIA_READ = [
    ListingMedia.listing_key.label("of_listing"),
    case((MEDIA_MESSAGE_CURRENT, ListingMedia.api_message)).label("stored"),
    *_unless(MEDIA_MESSAGE_CURRENT, _MEDIA),
]


def _listings(full: bool) -> Select[Any]:
    return _LISTINGS_FULL if full else _LISTINGS_BASIC


_ONE_KEY: BindParameter[Any] = bindparam("key")
_KEYS: BindParameter[Any] = bindparam("keys", expanding=True)
# PostgreSQL: one array parameter, so a prepared statement's plan does not depend on the count
# (an expanding IN is a new statement per count, and kept a stale generic plan in the ingest).
_KEY_ARRAY: BindParameter[Any] = bindparam("keys", type_=ARRAY(Text))


def _in_keys(column: InstrumentedAttribute[Any], postgres: bool) -> ColumnElement[bool]:
    return column == any_(_KEY_ARRAY) if postgres else column.in_(_KEYS)


_LISTING_BY_KEY = {
    full: _listings(full).where(Listing.listing_key == _ONE_KEY) for full in (False, True)
}
_LISTINGS_BY_KEYS = {
    (full, pg): _listings(full).where(_in_keys(Listing.listing_key, pg))
    for full in (False, True)
    for pg in (False, True)
}
_LISTING_EXISTS = select(Listing.listing_key).where(Listing.listing_key == _ONE_KEY)
_MEDIA_ORDER_BY = (ListingMedia.listing_key, *order_clauses(MEDIA_ORDER))
_MEDIA_OF_ONE = (
    select(*_MEDIA_READ).where(ListingMedia.listing_key == _ONE_KEY).order_by(*_MEDIA_ORDER_BY)
)
_MEDIA_OF_MANY = {
    pg: select(*_MEDIA_READ)
    .where(_in_keys(ListingMedia.listing_key, pg))
    .order_by(*_MEDIA_ORDER_BY)
    for pg in (False, True)
}
_MEMBERS_BY_KEYS = {
    pg: select(*_AGENT).where(_in_keys(Member.member_key, pg)) for pg in (False, True)
}
_OFFICES_BY_KEYS = {
    pg: select(*_OFFICE).where(_in_keys(Office.office_key, pg)) for pg in (False, True)
}
_CHANGES_AFTER = (
    select(*_CHANGE)
    .where(ListingChange.seq > bindparam("cursor"))
    .order_by(ListingChange.seq)
    .limit(bindparam("limit"))
)


def _listing_row(row: Sequence[Any], full: bool, sorts: int) -> ListingWithParties:
    """A listing row of the statements above (key, stored message, columns, for the FULL view
    the agent's and office's, and ``sorts`` trailing sort values) as its records."""
    stored = row[1]
    listing = None if stored is not None else ListingRecord._make(row[_LEAD:_AGENT_AT])
    position = tuple(row[len(row) - sorts :]) if sorts else ()
    if not full:
        return ListingWithParties(row[0], stored, listing, position=position)
    agent = row[_AGENT_AT:_OFFICE_AT]
    office = row[_OFFICE_AT : len(row) - sorts]
    return ListingWithParties(
        row[0],
        stored,
        listing,
        None if agent[0] is None else AgentRecord._make(agent),
        None if office[0] is None else OfficeRecord._make(office),
        position,
        row[2],
    )


def _listing_rows(
    rows: Iterable[Sequence[Any]], full: bool, sorts: int = 0
) -> list[ListingWithParties]:
    return [_listing_row(row, full, sorts) for row in rows]


def _media_rows(rows: Iterable[Sequence[Any]], keys: Sequence[str]) -> MediaByListing:
    """The rows of a media statement by listing key: stored messages, or columns."""
    media: MediaByListing = {key: [] for key in keys}
    for row in rows:
        stored = row[1]
        media[row[0]].append(
            StoredMedia(row[0], stored) if stored is not None else MediaRecord._make(row[2:])
        )
    return media


def _key_params(keys: Sequence[str]) -> dict[str, Any]:
    return {"keys": sorted(set(keys))}


# --- reads in one round trip (wonder.db.read_only.read_in_one_round_trip) ---------------------


def listings_with_media(keys: Sequence[str], *, full: bool, postgres: bool) -> list[Statement]:
    """The statements that read ``keys``' listings (and their media when ``full``) at once."""
    one = len(keys) == 1
    params: dict[str, Any] = {"key": keys[0]} if one else _key_params(keys)
    listing = _LISTING_BY_KEY[full] if one else _LISTINGS_BY_KEYS[full, postgres]
    if not full:
        return [(listing, params)]
    media = _MEDIA_OF_ONE if one else _MEDIA_OF_MANY[postgres]
    return [(listing, params), (media, params)]


def parse_listings_with_media(
    results: Sequence[Sequence[Sequence[Any]]], keys: Sequence[str], *, full: bool
) -> tuple[dict[str, ListingWithParties], MediaByListing | None]:
    """The rows of :func:`listings_with_media` as records: listings by key, media (FULL only)."""
    listings = {row.listing_key: row for row in _listing_rows(results[0], full)}
    if not full:
        return listings, None
    return listings, _media_rows(results[1], keys)


# A page's ordered, filtered query before its seek, by canonical filter and order: building
# it (the filter's SQL, the ORDER BY, the deleted-row condition) costs about 0.3 ms a page.
_PAGE_QUERIES: LruCache[tuple[str, str, bool, bool], Select[Any]] = LruCache(256)


def listing_page_query(
    expr: FilterExpr | None, order: Sequence[OrderKey], *, show_deleted: bool, full: bool
) -> Select[Any]:
    """The query of ListListings pages with this filter and order (positions apart); each row
    ends with its sort values (:attr:`ListingWithParties.position`)."""

    def build() -> Select[Any]:
        columns = listing_sort_columns(order)
        sort_values = [c.column.label(f"sort_{i}") for i, c in enumerate(columns)]
        query = (
            _listings(full)
            .add_columns(*sort_values)
            .where(compile_filter(expr))
            .order_by(*order_clauses(columns))
        )
        return query if show_deleted else query.where(Listing.deleted_at.is_(None))

    key = (canonical_filter(expr), canonical_order_by(order), show_deleted, full)
    return _PAGE_QUERIES.get_or_make(key, build)


def _listing_seeks(
    query: Select[Any], order: Sequence[OrderKey], after: Sequence[SortValue] | None
) -> list[Select[Any]]:
    """A page's queries, one per seek partition, read in turn until the page is full."""
    partitions = seek_partitions(listing_sort_columns(order), after)
    return [query if part is None else query.where(part) for part in partitions]


Reader = Callable[[Sequence[Statement]], Awaitable[Sequence[Sequence[Sequence[Any]]]]]


async def read_basic_page(
    read: Reader,
    *,
    query: Select[Any],
    order: Sequence[OrderKey],
    after: Sequence[SortValue] | None,
    limit: int,
) -> list[ListingWithParties]:
    """A BASIC-view ListListings page through ``read`` (one read-only round trip per call):
    the seek partitions in turn until the page is full, so the usual page is one round trip.
    The statements carry the filter's values (dynamic statements)."""
    rows: list[ListingWithParties] = []
    for seek in _listing_seeks(query, order, after):
        (result,) = await read([(seek.limit(limit - len(rows)), {})])
        rows += _listing_rows(result, full=False, sorts=len(order))
        if len(rows) >= limit:
            break
    return rows


def changes_after(cursor: int, limit: int) -> Statement:
    """The statement reading the first ``limit`` changes after ``cursor``, in feed order."""
    return (_CHANGES_AFTER, {"cursor": cursor, "limit": limit})


def parse_changes(rows: Iterable[Sequence[Any]]) -> list[ChangeRecord]:
    return [ChangeRecord._make(row) for row in rows]


# --- the repository --------------------------------------------------------------------------


class ListingReadRepository:
    """Reads listing pages, media, history, agents and offices. Never writes."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._postgres = connection.dialect.name == "postgresql"

    async def _rows(
        self, statement: Executable, params: dict[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        return (await self._connection.execute(statement, params)).all()

    async def listing_exists(self, key: str) -> bool:
        return bool(await self._rows(_LISTING_EXISTS, {"key": key}))

    async def list_listings(
        self,
        *,
        query: Select[Any],
        order: Sequence[OrderKey],
        after: Sequence[SortValue] | None,
        limit: int,
        full: bool,
    ) -> list[ListingWithParties]:
        """A page of :func:`listing_page_query` ``query`` after ``after``."""
        rows: list[ListingWithParties] = []
        # One seek per partition (NULLs of the leading column apart), while the page has room.
        for part in _listing_seeks(query, order, after):
            rows += _listing_rows(
                await self._rows(part.limit(limit - len(rows))), full, sorts=len(order)
            )
            if len(rows) >= limit:
                break
        return rows

    async def media_by_listing(self, keys: Sequence[str]) -> MediaByListing:
        if not keys:
            return {}
        if len(keys) == 1:
            rows = await self._rows(_MEDIA_OF_ONE, {"key": keys[0]})
        else:
            rows = await self._rows(_MEDIA_OF_MANY[self._postgres], _key_params(keys))
        return _media_rows(rows, keys)

    async def list_media(
        self, listing_key: str, after: Sequence[SortValue] | None, limit: int
    ) -> list[MediaRecord]:
        query = select(*_MEDIA).where(ListingMedia.listing_key == listing_key)
        if after is not None:
            query = query.where(after_position(MEDIA_ORDER, after))
        query = query.order_by(*order_clauses(MEDIA_ORDER)).limit(limit)
        return [MediaRecord._make(row) for row in await self._rows(query)]

    async def list_history(
        self, listing_key: str, after: Sequence[SortValue] | None, limit: int
    ) -> list[HistoryRecord]:
        query = select(*_HISTORY).where(ListingHistory.listing_key == listing_key)
        if after is not None:
            query = query.where(after_position(HISTORY_ORDER, after))
        query = query.order_by(*order_clauses(HISTORY_ORDER)).limit(limit)
        return [HistoryRecord._make(row) for row in await self._rows(query)]

    async def members_by_key(self, keys: Sequence[str]) -> dict[str, AgentRecord]:
        if not keys:
            return {}
        rows = await self._rows(_MEMBERS_BY_KEYS[self._postgres], _key_params(keys))
        return {row.member_key: row for row in map(AgentRecord._make, rows)}

    async def offices_by_key(self, keys: Sequence[str]) -> dict[str, OfficeRecord]:
        if not keys:
            return {}
        rows = await self._rows(_OFFICES_BY_KEYS[self._postgres], _key_params(keys))
        return {row.office_key: row for row in map(OfficeRecord._make, rows)}
