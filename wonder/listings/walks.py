"""How the ingest walks a resource, one committed page (with its cursor) at a time.

- Keyset walk (incremental, and agents/offices on a first load): ``ModificationTimestamp ge
  (cursor - overlap)``, then pages on (ModificationTimestamp, key) built from the last record of
  the previous page. Never ``$skip`` and never the timestamp alone: many rows share a timestamp.
- First load of listings: replication ordered by ListingKey with ``$expand=Media``; its cursor
  holds the last committed key and the source's high-water mark taken at the start, so a re-run
  resumes and the incremental cursor then starts from that mark.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wonder.clients.odata import ODataQuery, keyset_filter, quote_string
from wonder.listings.normalize import MEDIA_NAVIGATION, record_key
from wonder.listings.page_apply import MEMBER_PAGES, OFFICE_PAGES, write_property_page
from wonder.listings.page_plan import PageWrites, PreparedPage, prepare_property_page
from wonder.listings.ports import (
    FIRST_LOAD_CURSOR,
    PROPERTY,
    TIMESTAMP_FIELD,
    Clock,
    ListingStore,
    ListingUnits,
    ODataSource,
    PageLike,
    Position,
    Progress,
)
from wonder.listings.read_ahead import read_ahead
from wonder.listings.report import IngestReport, ProgressEvent
from wonder.timestamps import format_timestamp, parse_timestamp_or_none

logger = logging.getLogger("wonder.listings.service")


@dataclass(frozen=True)
class Resource:
    """A resource walked by keyset: its name, key field and how one page is written."""

    name: str
    key_field: str
    write_page: Callable[[ListingStore, Sequence[dict[str, Any]], datetime], PageWrites]


def _write_properties(
    store: ListingStore, records: Sequence[dict[str, Any]], now: datetime
) -> PageWrites:
    return write_property_page(store, prepare_property_page(records), now)


PROPERTIES = Resource(PROPERTY, "ListingKey", _write_properties)
MEMBERS = Resource(MEMBER_PAGES.resource, "MemberKey", MEMBER_PAGES.write)
OFFICES = Resource(OFFICE_PAGES.resource, "OfficeKey", OFFICE_PAGES.write)


def keyset_walk(
    client: ODataSource,
    units: ListingUnits,
    resource: Resource,
    report: IngestReport,
    overlap_seconds: int,
    progress: Progress | None,
    clock: Clock,
) -> None:
    """Walk ``resource`` from its cursor minus the overlap; each page commits with its cursor.

    The walk ends at a page without a nextLink (a full page always carries one).
    """
    with units() as store:
        cursor = store.get_cursor(resource.name)
    stored_position: Position | None = None
    since: datetime | None = None
    if cursor is not None and cursor.modification_timestamp is not None:
        stored_position = (cursor.modification_timestamp, cursor.last_key or "")
        since = cursor.modification_timestamp - timedelta(seconds=overlap_seconds)
    position: Position | None = None
    while True:
        if position is not None:
            query_filter: str | None = keyset_filter(
                TIMESTAMP_FIELD, resource.key_field, position[0], position[1]
            )
        elif since is not None:
            query_filter = keyset_filter(TIMESTAMP_FIELD, resource.key_field, None, None, since)
        else:
            query_filter = None
        page = next(
            iter(
                client.pages(
                    resource.name,
                    ODataQuery(
                        filter=query_filter, orderby=f"{TIMESTAMP_FIELD},{resource.key_field}"
                    ),
                    follow_next_links=False,
                )
            )
        )
        report.pages += 1
        report.fetched += len(page.records)
        last = last_position(page.records, resource.key_field)
        if page.records:
            if last is not None and (stored_position is None or last > stored_position):
                stored_position = last
            now = clock()
            with units() as store:
                resource.write_page(store, page.records, now).add_to(report)
                if stored_position is not None:
                    store.save_cursor(
                        resource.name,
                        modification_timestamp=stored_position[0],
                        last_key=stored_position[1] or None,
                        now=now,
                    )
            notify(
                progress, resource.name, report.mode, report.pages, report.fetched, stored_position
            )
        if not page.records or page.next_link is None:
            break
        if last is None or (position is not None and last <= position):
            # A full page that does not move the keyset forward would repeat forever.
            logger.error("%s keyset stalled at %s; stopping this run", resource.name, position)
            break
        position = last


def first_load_walk(
    client: ODataSource,
    units: ListingUnits,
    report: IngestReport,
    progress: Progress | None,
    clock: Clock,
) -> None:
    """Replicate every listing by ListingKey, resuming after the last committed key."""
    with units() as store:
        cursor = store.get_cursor(FIRST_LOAD_CURSOR)
    if cursor is None or cursor.state.get("done"):
        high_water, expected = source_high_water(client)
        last_key: str | None = None
        with units() as store:
            store.save_cursor(
                FIRST_LOAD_CURSOR,
                modification_timestamp=high_water,
                last_key=None,
                state={"done": False},
                now=clock(),
            )
    else:
        # A resumed load does not know how much is left (no request is spent asking).
        high_water, last_key, expected = cursor.modification_timestamp, cursor.last_key, None
        logger.info("resuming the first load after ListingKey %r", last_key)
    query_filter = None if last_key is None else f"ListingKey gt {quote_string(last_key)}"
    replication = client.pages(
        PROPERTY,
        ODataQuery(filter=query_filter, orderby="ListingKey", expand=MEDIA_NAVIGATION),
        replication=True,
    )
    # The next page is downloaded and normalized while this one is written (the client stays
    # on one thread at a time: the reader's, until the block ends).
    with read_ahead(_prepared(replication), name="first-load-pages") as pages:
        for page, prepared in pages:
            report.pages += 1
            report.fetched += len(page.records)
            if not page.records:
                continue
            keys = [k for k in (record_key(r, "ListingKey") for r in page.records) if k is not None]
            if keys and (last_key is None or max(keys) > last_key):
                last_key = max(keys)
            now = clock()
            with units() as store:
                write_property_page(store, prepared, now).add_to(report)
                store.save_cursor(
                    FIRST_LOAD_CURSOR,
                    modification_timestamp=high_water,
                    last_key=last_key,
                    state={"done": False},
                    now=now,
                )
            notify(
                progress, PROPERTY, report.mode, report.pages, report.fetched, last_key, expected
            )
    with units() as store:
        now = clock()
        store.save_cursor(
            FIRST_LOAD_CURSOR,
            modification_timestamp=high_water,
            last_key=last_key,
            state={"done": True},
            now=now,
        )
        incremental = store.get_cursor(PROPERTY)
        held_mark = incremental.modification_timestamp if incremental is not None else None
        if high_water is not None and (held_mark is None or held_mark < high_water):
            # Whatever changed while we replicated is at or after the mark: incremental gets it.
            store.save_cursor(PROPERTY, modification_timestamp=high_water, last_key=None, now=now)


def _prepared(pages: Iterable[PageLike]) -> Iterator[tuple[PageLike, PreparedPage]]:
    for page in pages:
        yield page, prepare_property_page(page.records)


def source_high_water(client: ODataSource) -> tuple[datetime | None, int | None]:
    """The newest ModificationTimestamp at the source right now, and how many listings it holds
    (when it says: ``@odata.count``); one key-only request."""
    page = _first_page(
        client,
        ODataQuery(
            select=["ListingKey", TIMESTAMP_FIELD],
            orderby=f"{TIMESTAMP_FIELD} desc,ListingKey desc",
            top=1,
            count=True,
        ),
    )
    return (record_timestamp(page.records[0]) if page.records else None), page_count(page)


def _first_page(client: ODataSource, query: ODataQuery) -> PageLike:
    return next(iter(client.pages(PROPERTY, query, follow_next_links=False)))


def page_count(page: PageLike) -> int | None:
    """The page's ``@odata.count`` (asked with ``$count=true``), if the source sent one."""
    count = getattr(page, "count", None)
    return count if isinstance(count, int) else None


def last_position(records: Sequence[dict[str, Any]], key_field: str) -> Position | None:
    """(ModificationTimestamp, key) of the last record having both: the next page starts after."""
    for record in reversed(records):
        key = record_key(record, key_field)
        timestamp = record_timestamp(record)
        if key is not None and timestamp is not None:
            return timestamp, key
    return None


def record_timestamp(record: dict[str, Any]) -> datetime | None:
    """The record's ModificationTimestamp, or None when it is missing or unparseable."""
    value = record.get(TIMESTAMP_FIELD)
    return parse_timestamp_or_none(value) if isinstance(value, str) else None


def notify(
    progress: Progress | None,
    resource: str,
    mode: str,
    pages: int,
    records: int,
    cursor: Position | str | None,
    expected: int | None = None,
) -> None:
    if progress is None:
        return
    if isinstance(cursor, tuple):
        described: str | None = f"{format_timestamp(cursor[0])} {cursor[1]}".strip()
    else:
        described = cursor
    progress(ProgressEvent(resource, mode, pages, records, described, expected))
