"""The listing ingest: Trestle → our tables, one committed page (with its cursor) at a time.

- First load: replication ordered by ListingKey with ``$expand=Media``; its cursor holds the last
  committed key and the source's high-water mark taken at the start, so a re-run resumes and the
  incremental cursor then starts from that mark.
- Incremental: ``ModificationTimestamp ge (cursor - overlap)`` then keyset pages on
  (ModificationTimestamp, ListingKey); re-read records that did not change cost no write.
- Media: listings whose PhotosChangeTimestamp moved past the media we hold are re-read from the
  Media resource in batches.
- Census: the full key set against ours; missing keys are soft-deleted unless the mass-delete
  guard holds them for approval.

Every page is one transaction (``unit_of_work``): data, history, change feed, quarantine and the
cursor commit together, so a crash at any point loses nothing and a re-run duplicates nothing.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from wonder.clients.odata import keyset_filter, quote_string
from wonder.clients.pacing import QuotaSnapshot
from wonder.db.models import HeldDelete
from wonder.db.uow import unit_of_work
from wonder.listings import repository as repo
from wonder.listings.census import plan_deletes
from wonder.listings.changes import (
    Action,
    HistoryEntry,
    MediaAction,
    StoredListing,
    decide,
    decide_media,
    deleted_at_after,
)
from wonder.listings.json_text import json_dumps
from wonder.listings.normalize import (
    MEDIA_NAVIGATION,
    NormalizedListing,
    NormalizedMedia,
    NormalizedMember,
    NormalizedOffice,
    Rejected,
    content_hash,
    normalize_media,
    normalize_member,
    normalize_office,
    normalize_property,
    record_key,
)
from wonder.listings.read_ahead import read_ahead
from wonder.listings.report import CensusReport, IngestReport, ProgressEvent
from wonder.settings import ListingIngestSettings
from wonder.timestamps import format_timestamp, parse_timestamp

logger = logging.getLogger(__name__)

Progress = Callable[[ProgressEvent], None]
Clock = Callable[[], datetime]

PROPERTY = "Property"
MEMBER = "Member"
OFFICE = "Office"
MEDIA = "Media"
FIRST_LOAD_CURSOR = "Property:first_load"
TIMESTAMP_FIELD = "ModificationTimestamp"


def utc_now() -> datetime:
    return datetime.now(UTC)


class PageLike(Protocol):
    """One OData page (``wonder.clients.trestle.ODataPage``)."""

    @property
    def records(self) -> list[dict[str, Any]]: ...

    @property
    def next_link(self) -> str | None: ...


class ODataSource(Protocol):
    """What the ingest needs from ``wonder.clients.trestle.TrestleClient``."""

    def pages(
        self,
        resource: str,
        *,
        select: Sequence[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | None = None,
        count: bool = False,
        replication: bool = False,
        follow_next_links: bool = True,
    ) -> Iterator[PageLike]: ...

    def resume(self, next_link: str) -> Iterator[PageLike]: ...

    @property
    def requests_made(self) -> int: ...

    @property
    def quota(self) -> QuotaSnapshot | None: ...


class HeldDeleteError(Exception):
    """A held delete that does not exist or was already decided."""


# -- public API -----------------------------------------------------------------------------


def first_load(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> list[IngestReport]:
    """Replicate every listing (media expanded), then agents and offices. Resumable."""
    reports = [_first_load_properties(client, sessions, settings, progress, clock)]
    reports.append(_sync_keyset(client, sessions, _MEMBERS, "first_load", 0, progress, clock))
    reports.append(_sync_keyset(client, sessions, _OFFICES, "first_load", 0, progress, clock))
    with unit_of_work(sessions) as session:
        repo.analyze_listing_tables(session)
    return reports


def incremental_sync(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> list[IngestReport]:
    """What changed since the stored cursors: listings (+ their media), agents, offices."""
    overlap = settings.overlap_seconds
    listings = _sync_keyset(client, sessions, _PROPERTIES, "incremental", overlap, progress, clock)
    started, requests_before = time.monotonic(), client.requests_made
    _refresh_media(client, sessions, settings, listings, clock)
    listings.requests += client.requests_made - requests_before
    listings.quota = client.quota
    listings.duration_seconds += time.monotonic() - started
    return [
        listings,
        _sync_keyset(client, sessions, _MEMBERS, "incremental", overlap, progress, clock),
        _sync_keyset(client, sessions, _OFFICES, "incremental", overlap, progress, clock),
    ]


def census(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    *,
    progress: Progress | None = None,
    clock: Clock = utc_now,
) -> CensusReport:
    """Soft-delete stored listings missing from the source's key set (or hold a mass delete)."""
    started, requests_before = time.monotonic(), client.requests_made
    report = CensusReport(resource=PROPERTY)
    # Listings we store after this instant may be newer than the key set: never delete those.
    began_at = clock()
    source_keys: set[str] = set()
    for page in client.pages(
        PROPERTY, select=["ListingKey"], orderby="ListingKey", top=settings.census_page_size
    ):
        report.pages += 1
        for record in page.records:
            key = record_key(record, "ListingKey")
            if key is not None:
                source_keys.add(key)
        _notify(progress, PROPERTY, "census", report.pages, len(source_keys), None)
    report.source_keys = len(source_keys)
    with unit_of_work(sessions) as session:
        stored = repo.live_listing_keys(session, seen_before=began_at)
        plan = plan_deletes(
            stored,
            source_keys,
            mass_delete_fraction=settings.mass_delete_fraction,
            mass_delete_min_rows=settings.mass_delete_min_rows,
        )
        report.stored_keys, report.missing, report.held = len(stored), len(plan.missing), plan.held
        if plan.held:
            report.held_delete_id = repo.hold_deletes(
                session, PROPERTY, plan.missing, plan.stored_count, clock()
            )
            logger.warning(
                "census would delete %d of %d listings: held for approval as #%d",
                len(plan.missing),
                plan.stored_count,
                report.held_delete_id,
            )
        else:
            report.deleted = repo.soft_delete(session, plan.deletes, clock())
    with unit_of_work(sessions) as session:
        repo.analyze_listing_tables(session)
    report.requests = client.requests_made - requests_before
    report.quota = client.quota
    report.duration_seconds = time.monotonic() - started
    return report


def approve_held_delete(
    sessions: sessionmaker[Session], held_id: int, *, clock: Clock = utc_now
) -> int:
    """Apply a held census delete; returns the listings deleted."""
    with unit_of_work(sessions) as session:
        held = _pending_held(session, held_id)
        now = clock()
        deleted = repo.soft_delete(session, list(held.keys), now)
        held.status, held.decided_at = "applied", now
        return deleted


def reject_held_delete(
    sessions: sessionmaker[Session], held_id: int, *, clock: Clock = utc_now
) -> int:
    """Discard a held census delete; returns the number of keys it held (none are deleted)."""
    with unit_of_work(sessions) as session:
        held = _pending_held(session, held_id)
        held.status, held.decided_at = "rejected", clock()
        return len(held.keys)


def _pending_held(session: Session, held_id: int) -> HeldDelete:
    held = repo.get_held_delete(session, held_id)
    if held is None:
        raise HeldDeleteError(f"no held delete #{held_id}")
    if held.status != "held":
        raise HeldDeleteError(f"held delete #{held_id} is already {held.status}")
    return held


# -- one page of each resource --------------------------------------------------------------


@dataclass
class _PageWrites:
    """What one page changed, for the report."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    media_refreshed: int = 0
    history_rows: int = 0
    quarantine: list[repo.QuarantineEntry] = field(default_factory=list)

    def add_to(self, report: IngestReport) -> None:
        report.inserted += self.inserted
        report.updated += self.updated
        report.unchanged += self.unchanged
        report.deleted += self.deleted
        report.quarantined += self.quarantined
        report.media_refreshed += self.media_refreshed
        report.history_rows += self.history_rows


def _reject(writes: _PageWrites, resource: str, raw: Any, rejected: Rejected) -> None:
    document = raw if isinstance(raw, dict) else {"value": raw}
    writes.quarantined += 1
    writes.quarantine.append(
        repo.QuarantineEntry(
            resource=resource,
            record_key=rejected.key,
            reason=rejected.reason,
            payload_hash=content_hash(document),
            raw=_storable(document),
        )
    )
    logger.warning("quarantined %s %s: %s", resource, rejected.key or "(no key)", rejected.reason)


@dataclass(frozen=True)
class _PreparedPage:
    """A page of Property records normalized: the pure part of its ingest (no database).

    ``expanded`` holds each accepted listing's expanded media, each item with its normalized
    form or rejection (None: the record came without a Media array).
    """

    rejected: list[tuple[Any, Rejected]]
    accepted: dict[str, NormalizedListing]
    expanded: dict[str, list[tuple[Any, NormalizedMedia | Rejected]] | None]


def _prepare_property_page(records: Sequence[dict[str, Any]]) -> _PreparedPage:
    rejected: list[tuple[Any, Rejected]] = []
    accepted: dict[str, NormalizedListing] = {}
    media_of: dict[str, list[Any] | None] = {}
    for raw in records:
        result = _normalize_listing(raw)
        if isinstance(result, Rejected):
            rejected.append((raw, result))
            continue
        previous = accepted.get(result.listing_key)
        if previous is None or result.modification_timestamp >= previous.modification_timestamp:
            accepted[result.listing_key] = result
            media = raw.get(MEDIA_NAVIGATION)
            media_of[result.listing_key] = media if isinstance(media, list) else None
    expanded = {
        key: None
        if items is None
        else [(item, normalize_media(item, listing_key=key)) for item in items]
        for key, items in media_of.items()
    }
    return _PreparedPage(rejected, accepted, expanded)


def _ingest_property_page(
    session: Session, records: Sequence[dict[str, Any]], now: datetime
) -> _PageWrites:
    """Normalize, compare with what we hold and write one page of Property records."""
    return _write_property_page(session, _prepare_property_page(records), now)


def _write_property_page(session: Session, page: _PreparedPage, now: datetime) -> _PageWrites:
    """Compare a normalized page with what we hold and write it."""
    writes = _PageWrites()
    for raw, rejected in page.rejected:
        _reject(writes, PROPERTY, raw, rejected)
    accepted, expanded = page.accepted, page.expanded

    stored = repo.load_listing_states(session, accepted)
    rows: list[dict[str, Any]] = []
    changes: list[tuple[str, str]] = []
    history: list[HistoryEntry] = []
    media_for: dict[str, list[NormalizedMedia]] = {}
    media_only: dict[str, datetime | None] = {}
    for key, listing in accepted.items():
        current = stored.get(key)
        decision = decide(current, listing)
        media_action, media = _expanded_media(writes, key, listing, current, expanded[key])
        if decision.action is Action.UNCHANGED:
            writes.unchanged += 1
            same_version = (
                current is not None
                and current.modification_timestamp == listing.modification_timestamp
            )
            if media_action is MediaAction.REPLACE and same_version:
                media_for[key] = media
                media_only[key] = listing.photos_change_timestamp
            continue
        if media_action is MediaAction.REPLACE:
            media_for[key] = media
            synced = listing.photos_change_timestamp
        else:
            synced = current.media_synced_timestamp if current is not None else None
        if decision.deletes:
            writes.deleted += 1
        elif decision.action is Action.INSERT:
            writes.inserted += 1
        else:
            writes.updated += 1
        history.extend(decision.history)
        changes.append((key, "delete" if listing.is_delete else "upsert"))
        rows.append(
            {
                **listing.columns(),
                "raw": listing.raw,
                "media_synced_timestamp": synced,
                "deleted_at": deleted_at_after(current, listing, now),
                "first_seen_at": now,
                "updated_at": now,
            }
        )
    changes.extend((key, "upsert") for key in media_only)
    seqs = repo.append_changes(session, changes, now)
    for row in rows:
        row["change_seq"] = seqs[row["listing_key"]]
    repo.upsert_listings(session, rows)
    if media_for:
        repo.replace_media(session, list(media_for), [m for ms in media_for.values() for m in ms])
        writes.media_refreshed += len(media_for)
    repo.set_listing_media_synced(
        session, {key: (ts, seqs[key]) for key, ts in media_only.items()}, now
    )
    writes.history_rows += repo.insert_history(session, history, now)
    repo.quarantine(session, writes.quarantine, now)
    return writes


def _normalize_listing(raw: dict[str, Any]) -> NormalizedListing | Rejected:
    result = normalize_property(raw)
    if isinstance(result, NormalizedListing) and b"\\u0000" in json_dumps(result.raw):
        # PostgreSQL cannot store NUL in JSON text: such a record cannot be kept as is. (The
        # fast encoder escapes exactly as canonical_json does; only key order differs.)
        return Rejected("raw: contains a NUL character", result.listing_key)
    return result


def _expanded_media(
    writes: _PageWrites,
    key: str,
    listing: NormalizedListing,
    current: StoredListing | None,
    items: list[tuple[Any, NormalizedMedia | Rejected]] | None,
) -> tuple[MediaAction, list[NormalizedMedia]]:
    """The media that came expanded in a listing, and whether they replace what we hold."""
    action = decide_media(
        current.media_synced_timestamp if current is not None else None,
        current is not None,
        listing.photos_change_timestamp,
        listing.photos_count,
        None if items is None else len(items),
    )
    if action is not MediaAction.REPLACE or items is None:
        return action, []
    media: list[NormalizedMedia] = []
    for item, result in items:
        if isinstance(result, Rejected):
            _reject(writes, MEDIA, item, result)
        else:
            media.append(result)
    return action, media


class _Versioned(Protocol):
    """A normalized Member or Office: a dataclass whose fields (but the hash) are its columns."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def modification_timestamp(self) -> datetime: ...

    @property
    def content_hash(self) -> str: ...


_V = TypeVar("_V", bound=_Versioned)


@dataclass(frozen=True)
class _EntityPages(Generic[_V]):
    """How a page of a plain resource (no media, no history) is normalized, compared, written."""

    resource: str
    normalize: Callable[[object], _V | Rejected]
    key: Callable[[_V], str]
    load_hashes: Callable[[Session, Iterable[str]], dict[str, tuple[datetime, str]]]
    upsert: Callable[[Session, Sequence[dict[str, Any]]], None]

    def ingest(
        self, session: Session, records: Sequence[dict[str, Any]], now: datetime
    ) -> _PageWrites:
        writes = _PageWrites()
        accepted: dict[str, _V] = {}
        for raw in records:
            result = self.normalize(raw)
            if isinstance(result, Rejected):
                _reject(writes, self.resource, raw, result)
                continue
            key = self.key(result)
            if (
                key not in accepted
                or result.modification_timestamp >= accepted[key].modification_timestamp
            ):
                accepted[key] = result
        stored = self.load_hashes(session, accepted)
        rows = []
        for key, record in accepted.items():
            if _unchanged(stored.get(key), record.modification_timestamp, record.content_hash):
                writes.unchanged += 1
                continue
            if key in stored:
                writes.updated += 1
            else:
                writes.inserted += 1
            columns = {
                name: getattr(record, name)
                for name in record.__dataclass_fields__
                if name != "content_hash"
            }
            rows.append({**columns, "deleted_at": None, "updated_at": now})
        self.upsert(session, rows)
        repo.quarantine(session, writes.quarantine, now)
        return writes


_MEMBER_PAGES = _EntityPages[NormalizedMember](
    MEMBER, normalize_member, lambda m: m.member_key, repo.load_member_hashes, repo.upsert_members
)
_OFFICE_PAGES = _EntityPages[NormalizedOffice](
    OFFICE, normalize_office, lambda o: o.office_key, repo.load_office_hashes, repo.upsert_offices
)


def _unchanged(stored: tuple[datetime, str] | None, incoming_ts: datetime, digest: str) -> bool:
    if stored is None:
        return False
    stored_ts, stored_hash = stored
    return incoming_ts < stored_ts or stored_hash == digest


# -- walks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    name: str
    key_field: str
    ingest_page: Callable[[Session, Sequence[dict[str, Any]], datetime], _PageWrites]


_PROPERTIES = _Resource(PROPERTY, "ListingKey", _ingest_property_page)
_MEMBERS = _Resource(MEMBER, "MemberKey", _MEMBER_PAGES.ingest)
_OFFICES = _Resource(OFFICE, "OfficeKey", _OFFICE_PAGES.ingest)

Position = tuple[datetime, str]


def _sync_keyset(
    client: ODataSource,
    sessions: sessionmaker[Session],
    resource: _Resource,
    mode: str,
    overlap_seconds: int,
    progress: Progress | None,
    clock: Clock,
) -> IngestReport:
    """Walk ``resource`` by (ModificationTimestamp, key) from its cursor minus the overlap.

    Never ``$skip`` and never the timestamp alone: many rows share a timestamp. Each page is read
    with a filter built from the last record of the previous one; the walk ends at a page
    without a nextLink (a full page always carries one).
    """
    started, requests_before = time.monotonic(), client.requests_made
    report = IngestReport(resource=resource.name, mode=mode)
    with unit_of_work(sessions) as session:
        cursor = repo.get_cursor(session, resource.name)
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
                    filter=query_filter,
                    orderby=f"{TIMESTAMP_FIELD},{resource.key_field}",
                    follow_next_links=False,
                )
            )
        )
        report.pages += 1
        report.fetched += len(page.records)
        last = _last_position(page.records, resource.key_field)
        if page.records:
            if last is not None and (stored_position is None or last > stored_position):
                stored_position = last
            now = clock()
            with unit_of_work(sessions) as session:
                resource.ingest_page(session, page.records, now).add_to(report)
                if stored_position is not None:
                    repo.save_cursor(
                        session,
                        resource.name,
                        modification_timestamp=stored_position[0],
                        last_key=stored_position[1] or None,
                        now=now,
                    )
            _notify(progress, resource.name, mode, report.pages, report.fetched, stored_position)
        if not page.records or page.next_link is None:
            break
        if last is None or (position is not None and last <= position):
            # A full page that does not move the keyset forward would repeat forever.
            logger.error("%s keyset stalled at %s; stopping this run", resource.name, position)
            break
        position = last
    report.requests = client.requests_made - requests_before
    report.quota = client.quota
    report.duration_seconds = time.monotonic() - started
    return report


def _first_load_properties(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    progress: Progress | None,
    clock: Clock,
) -> IngestReport:
    started, requests_before = time.monotonic(), client.requests_made
    report = IngestReport(resource=PROPERTY, mode="first_load")
    with unit_of_work(sessions) as session:
        cursor = repo.get_cursor(session, FIRST_LOAD_CURSOR)
    if cursor is None or cursor.state.get("done"):
        high_water = _source_high_water(client)
        last_key: str | None = None
        with unit_of_work(sessions) as session:
            repo.save_cursor(
                session,
                FIRST_LOAD_CURSOR,
                modification_timestamp=high_water,
                last_key=None,
                state={"done": False},
                now=clock(),
            )
    else:
        high_water, last_key = cursor.modification_timestamp, cursor.last_key
        logger.info("resuming the first load after ListingKey %r", last_key)
    query_filter = None if last_key is None else f"ListingKey gt {quote_string(last_key)}"
    replication = client.pages(
        PROPERTY,
        filter=query_filter,
        orderby="ListingKey",
        expand=MEDIA_NAVIGATION,
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
            with unit_of_work(sessions) as session:
                _write_property_page(session, prepared, now).add_to(report)
                repo.save_cursor(
                    session,
                    FIRST_LOAD_CURSOR,
                    modification_timestamp=high_water,
                    last_key=last_key,
                    state={"done": False},
                    now=now,
                )
            _notify(progress, PROPERTY, "first_load", report.pages, report.fetched, last_key)
    with unit_of_work(sessions) as session:
        now = clock()
        repo.save_cursor(
            session,
            FIRST_LOAD_CURSOR,
            modification_timestamp=high_water,
            last_key=last_key,
            state={"done": True},
            now=now,
        )
        incremental = repo.get_cursor(session, PROPERTY)
        held_mark = incremental.modification_timestamp if incremental is not None else None
        if high_water is not None and (held_mark is None or held_mark < high_water):
            # Whatever changed while we replicated is at or after the mark: incremental gets it.
            repo.save_cursor(
                session, PROPERTY, modification_timestamp=high_water, last_key=None, now=now
            )
    _refresh_media(client, sessions, settings, report, clock)
    report.requests = client.requests_made - requests_before
    report.quota = client.quota
    report.duration_seconds = time.monotonic() - started
    return report


def _prepared(pages: Iterable[PageLike]) -> Iterator[tuple[PageLike, _PreparedPage]]:
    for page in pages:
        yield page, _prepare_property_page(page.records)


def _source_high_water(client: ODataSource) -> datetime | None:
    """The newest ModificationTimestamp at the source right now (one key-only request)."""
    page = next(
        iter(
            client.pages(
                PROPERTY,
                select=["ListingKey", TIMESTAMP_FIELD],
                orderby=f"{TIMESTAMP_FIELD} desc,ListingKey desc",
                top=1,
                follow_next_links=False,
            )
        )
    )
    return _record_timestamp(page.records[0]) if page.records else None


def _refresh_media(
    client: ODataSource,
    sessions: sessionmaker[Session],
    settings: ListingIngestSettings,
    report: IngestReport,
    clock: Clock,
) -> None:
    """Re-read the media of listings whose PhotosChangeTimestamp moved past what we hold."""
    with unit_of_work(sessions) as session:
        pending = repo.pending_media(session)
    still_pending = 0
    for start in range(0, len(pending), settings.media_batch_size):
        batch = pending[start : start + settings.media_batch_size]
        grouped: dict[str, list[NormalizedMedia]] = defaultdict(list)
        writes = _PageWrites()
        wanted = {item.listing_key for item in batch}
        for page in client.pages(
            MEDIA,
            filter=" or ".join(
                f"ResourceRecordKey eq {quote_string(p.listing_key)}" for p in batch
            ),
            orderby="ResourceRecordKey,Order",
        ):
            for raw in page.records:
                result = normalize_media(raw)
                if isinstance(result, Rejected):
                    _reject(writes, MEDIA, raw, result)
                elif result.listing_key in wanted:
                    grouped[result.listing_key].append(result)
        replace: dict[str, datetime | None] = {}
        for item in batch:
            if not grouped.get(item.listing_key) and (item.photos_count or 0) > 0:
                still_pending += 1  # the source said there are photos but sent none: ask again
            else:
                replace[item.listing_key] = item.photos_change_timestamp
        now = clock()
        with unit_of_work(sessions) as session:
            if replace:
                seqs = repo.append_changes(session, [(k, "upsert") for k in replace], now)
                repo.replace_media(
                    session, list(replace), [m for k in replace for m in grouped.get(k, [])]
                )
                repo.set_listing_media_synced(
                    session, {k: (ts, seqs[k]) for k, ts in replace.items()}, now
                )
            repo.quarantine(session, writes.quarantine, now)
        report.media_refreshed += len(replace)
        report.quarantined += writes.quarantined
    report.media_refetch_pending += still_pending


# -- helpers --------------------------------------------------------------------------------


def _last_position(records: Sequence[dict[str, Any]], key_field: str) -> Position | None:
    """(ModificationTimestamp, key) of the last record having both: the next page starts after."""
    for record in reversed(records):
        key = record_key(record, key_field)
        timestamp = _record_timestamp(record)
        if key is not None and timestamp is not None:
            return timestamp, key
    return None


def _record_timestamp(record: dict[str, Any]) -> datetime | None:
    """The record's ModificationTimestamp, or None when it is missing or unparseable."""
    value = record.get(TIMESTAMP_FIELD)
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _notify(
    progress: Progress | None,
    resource: str,
    mode: str,
    pages: int,
    records: int,
    cursor: Position | str | None,
) -> None:
    if progress is None:
        return
    if isinstance(cursor, tuple):
        described: str | None = f"{format_timestamp(cursor[0])} {cursor[1]}".strip()
    else:
        described = cursor
    progress(ProgressEvent(resource, mode, pages, records, described))


def _storable(value: Any) -> Any:
    """A JSON document PostgreSQL accepts (NUL characters replaced) for the quarantine."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value
