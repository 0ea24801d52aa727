"""Reads and bulk writes of the listing tables. Never commits: the service's unit of work does.

Bulk upserts use ``INSERT ... ON CONFLICT`` on both PostgreSQL and SQLite. One statement must not
touch the same row twice (PostgreSQL refuses), so callers pass rows de-duplicated by key. On
PostgreSQL the big tables (listings, media, members, offices) are written through COPY
(``wonder.db.pg_copy``): an executemany there is one INSERT per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from wonder.db import pg_copy
from wonder.db.bulk import (
    chunks,
    insert_for,
    is_postgresql,
    key_in,
    text_array,
    typed_array,
    upsert,
)
from wonder.db.models import (
    ChangeKind,
    IngestCursor,
    Listing,
    ListingChange,
    ListingHistory,
    ListingMedia,
    Member,
    Office,
    QuarantinedRecord,
)
from wonder.ingest.hashing import content_hash
from wonder.listings.api_version import RENDER_VERSION
from wonder.listings.changes import HistoryEntry, StoredListing
from wonder.listings.normalize import NormalizedMedia
from wonder.listings.read_repository import (
    LISTING_MESSAGE_CURRENT,
    LISTING_MESSAGE_STALE,
    MEDIA_MESSAGE_STALE,
    ListingRecord,
    MediaRecord,
)
from wonder.listings.rendered import rendered_media, restamped

_T = TypeVar("_T")


_LISTINGS: Table = Listing.__table__  # type: ignore[assignment]
_MEDIA: Table = ListingMedia.__table__  # type: ignore[assignment]
_CHANGES: Table = ListingChange.__table__  # type: ignore[assignment]
_HISTORY: Table = ListingHistory.__table__  # type: ignore[assignment]
_MEMBERS: Table = Member.__table__  # type: ignore[assignment]
_OFFICES: Table = Office.__table__  # type: ignore[assignment]
_QUARANTINE: Table = QuarantinedRecord.__table__  # type: ignore[assignment]
_CURSORS: Table = IngestCursor.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class PendingMedia:
    """A listing whose media are older than its PhotosChangeTimestamp."""

    listing_key: str
    photos_change_timestamp: datetime | None
    photos_count: int | None


# -- listings -------------------------------------------------------------------------------


def load_listing_states(session: Session, keys: Iterable[str]) -> dict[str, StoredListing]:
    """What we hold for these keys (content hash computed from the stored raw record)."""
    wanted = list(keys)
    found: dict[str, StoredListing] = {}
    for chunk in chunks(wanted):
        rows = session.execute(
            select(
                Listing.listing_key,
                Listing.modification_timestamp,
                Listing.raw,
                Listing.list_price,
                Listing.standard_status,
                Listing.deleted_at,
                Listing.photos_change_timestamp,
                Listing.media_synced_timestamp,
                Listing.first_seen_at,
            ).where(key_in(session, Listing.listing_key, chunk))
        )
        for row in rows:
            found[row.listing_key] = StoredListing(
                listing_key=row.listing_key,
                modification_timestamp=row.modification_timestamp,
                content_hash=content_hash(row.raw),
                list_price=row.list_price,
                standard_status=row.standard_status,
                deleted_at=row.deleted_at,
                photos_change_timestamp=row.photos_change_timestamp,
                media_synced_timestamp=row.media_synced_timestamp,
                first_seen_at=row.first_seen_at,
            )
    return found


def append_changes(
    session: Session, changes: Sequence[tuple[str, ChangeKind]], changed_at: datetime
) -> dict[str, int]:
    """Append ``(listing_key, kind)`` rows to the change feed; return each key's new seq."""
    seqs: dict[str, int] = {}
    if not changes:
        return seqs
    if is_postgresql(session):
        return _append_changes_unnest(session, changes, changed_at)
    stmt = insert_for(session, _CHANGES).returning(
        _CHANGES.c.seq, _CHANGES.c.listing_key, sort_by_parameter_order=True
    )
    for chunk in chunks(changes):
        params = [
            {"listing_key": key, "kind": kind, "changed_at": changed_at} for key, kind in chunk
        ]
        for seq, key in session.execute(stmt, params):
            seqs[key] = seq
    return seqs


def _append_changes_unnest(
    session: Session, changes: Sequence[tuple[str, ChangeKind]], changed_at: datetime
) -> dict[str, int]:
    """One ``INSERT ... SELECT FROM unnest(...)`` for the page (psycopg would send a batch of
    multi-row INSERTs); seqs are drawn in the order of ``changes``."""
    rows = (
        func.unnest(
            text_array("b_change_keys", [key for key, _ in changes]),
            text_array("b_change_kinds", [kind for _, kind in changes]),
        )
        .table_valued("listing_key", "kind", with_ordinality="position")
        .render_derived()
    )
    stmt = (
        insert(_CHANGES)
        .from_select(
            ["listing_key", "kind", "changed_at"],
            select(
                rows.c.listing_key,
                rows.c.kind,
                bindparam("b_changed_at", changed_at, type_=_CHANGES.c.changed_at.type),
            ).order_by(rows.c.position),
        )
        .returning(_CHANGES.c.seq, _CHANGES.c.listing_key)
    )
    seqs: dict[str, int] = {}
    for seq, key in session.execute(stmt):
        seqs[key] = max(seq, seqs.get(key, seq))  # a key listed twice keeps its last change
    return seqs


def upsert_listings(
    session: Session, rows: Sequence[dict[str, Any]], *, believed_new: bool = False
) -> bool:
    """Insert or overwrite listings; ``first_seen_at`` keeps its first value.

    ``believed_new``: this transaction found none of the keys stored, so on PostgreSQL the rows
    are COPYed straight into the table (no staging table, no ``ON CONFLICT``); a key stored
    meanwhile by another writer makes it fall back to the upsert. Returns whether every row was
    COPYed as new (False: the upsert ran, and may have overwritten stored rows).
    """
    if believed_new and rows and is_postgresql(session):
        keys = list(rows[0])
        values = [[row[key] for key in keys] for row in rows]
        if pg_copy.try_copy_into(session.connection(), _LISTINGS, keys, values):
            return True
    upsert(session, _LISTINGS, rows, conflict=["listing_key"], keep=["first_seen_at"], bulk=True)
    return False


def set_listing_media_synced(
    session: Session, synced: dict[str, tuple[datetime | None, int]], now: datetime
) -> None:
    """Record which PhotosChangeTimestamp our media now reflect (and the change-feed seq)."""
    if not synced:
        return
    seqs = {key: seq for key, (_, seq) in synced.items()}
    messages = _restamped_messages(session, seqs, now)
    stmt = (
        update(_LISTINGS)
        .where(_LISTINGS.c.listing_key == bindparam("b_key"))
        .values(
            media_synced_timestamp=bindparam("b_synced"),
            change_seq=bindparam("b_seq"),
            updated_at=bindparam("b_now"),
            **_API_PARAMS,
        )
    )
    params = [
        {"b_key": key, "b_synced": ts, "b_seq": seq, "b_now": now, **messages[key]}
        for key, (ts, seq) in synced.items()
    ]
    for chunk in chunks(params):
        session.execute(stmt, list(chunk))


_API_PARAMS: dict[str, Any] = {
    "api_basic": bindparam("b_api_basic"),
    "api_seq": bindparam("b_api_seq"),
}


def _restamped_messages(
    session: Session, seqs: dict[str, int], now: datetime, *, deleting: bool = False
) -> dict[str, dict[str, Any]]:
    """The ``b_api_*`` parameters that keep these listings' stored messages current through a
    write that only moves ``change_seq`` and ``updated_at`` (and stamps ``deleted_at`` when
    ``deleting``); a listing whose messages were not current gets none (NULL)."""
    found: dict[str, dict[str, Any]] = {
        key: {"b_api_basic": None, "b_api_seq": None} for key in seqs
    }
    for chunk in chunks(list(seqs)):
        rows = session.execute(
            select(Listing.listing_key, Listing.api_basic).where(
                key_in(session, Listing.listing_key, chunk), LISTING_MESSAGE_CURRENT
            )
        )
        for key, basic in rows:
            if basic is None:
                continue
            seq, deleted_at = seqs[key], now if deleting else None
            found[key] = {
                "b_api_basic": restamped(
                    basic, change_seq=seq, updated_at=now, deleted_at=deleted_at
                ),
                "b_api_seq": seq,
            }
    return found


_MEDIA_COLUMNS = (
    "media_key",
    "listing_key",
    "media_order",
    "media_url",
    "media_category",
    "mime_type",
    "short_description",
    "image_width",
    "image_height",
    "modification_timestamp",
    "raw",
    "api_message",
    "api_version",
)


def replace_media(
    session: Session,
    listing_keys: Sequence[str],
    media: Sequence[NormalizedMedia],
    *,
    listings_new: bool = False,
) -> int:
    """Replace the media of these listings with ``media``; returns the rows written.

    A media key held by another listing moves to the one now sending it (the upsert's effect).
    ``listings_new``: the listings were not stored when this transaction began, so they hold no
    media and nothing of theirs needs deleting.
    """
    unique = {item.media_key: item for item in media}
    if is_postgresql(session):
        # Once the listings' own media are gone every row is new unless another listing holds
        # its key: COPY straight in, and only when that fails delete the holders and COPY again.
        if not listings_new:
            session.execute(
                delete(_MEDIA).where(
                    _MEDIA.c.listing_key == any_(text_array("b_listing_keys", listing_keys))
                )
            )
        values = [_media_values(item) for item in unique.values()]
        connection = session.connection()
        if not pg_copy.try_copy_into(connection, _MEDIA, _MEDIA_COLUMNS, values):
            session.execute(
                delete(_MEDIA).where(
                    _MEDIA.c.media_key == any_(text_array("b_media_keys", list(unique)))
                )
            )
            pg_copy.copy_values(connection, _MEDIA, _MEDIA_COLUMNS, values)
        return len(values)
    rows = [dict(zip(_MEDIA_COLUMNS, _media_values(item), strict=True)) for item in unique.values()]
    for chunk in chunks(listing_keys):
        session.execute(delete(_MEDIA).where(_MEDIA.c.listing_key.in_(chunk)))
    upsert(session, _MEDIA, rows, conflict=["media_key"])
    return len(rows)


def _media_values(item: NormalizedMedia) -> tuple[Any, ...]:
    """A media row's values in the order of ``_MEDIA_COLUMNS``."""
    return (
        item.media_key,
        item.listing_key,
        item.order,
        item.media_url,
        item.media_category,
        item.mime_type,
        item.short_description,
        item.image_width,
        item.image_height,
        item.modification_timestamp,
        item.raw,
        rendered_media(item),
        RENDER_VERSION,
    )


def listings_not_current(session: Session, after: str, limit: int) -> list[dict[str, Any]]:
    """The next ``limit`` listings (by key, after ``after``) whose stored messages are missing,
    behind their columns or of another rendering: each one's columns by name."""
    columns = [_LISTINGS.c[name] for name in ListingRecord._fields]
    rows = session.execute(
        select(*columns)
        .where(_LISTINGS.c.listing_key > after, LISTING_MESSAGE_STALE)
        .order_by(_LISTINGS.c.listing_key)
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def store_listing_messages(session: Session, rendered: Sequence[tuple[str, int, bytes]]) -> int:
    """Store ``(listing_key, change_seq, message)`` on rows still at that ``change_seq`` (a row
    the ingest wrote meanwhile keeps its own), current from now on. Returns the rows written."""
    if is_postgresql(session) and rendered:
        return _store_listing_messages_unnest(session, rendered)
    stmt = (
        update(_LISTINGS)
        .where(
            _LISTINGS.c.listing_key == bindparam("b_key"),
            _LISTINGS.c.change_seq == bindparam("b_seq"),
        )
        .values(
            api_basic=bindparam("b_message"),
            api_seq=_LISTINGS.c.change_seq,
            api_version=RENDER_VERSION,
        )
    )
    params = [{"b_key": key, "b_seq": seq, "b_message": message} for key, seq, message in rendered]
    written = 0
    for chunk in chunks(params):
        written += int(session.execute(stmt, list(chunk)).rowcount or 0)  # type: ignore[attr-defined]
    return written


def _store_listing_messages_unnest(
    session: Session, rendered: Sequence[tuple[str, int, bytes]]
) -> int:
    """:func:`store_listing_messages` as one ``UPDATE ... FROM unnest(...)`` (an executemany is
    one UPDATE per row on PostgreSQL: 100,000 rows took a minute)."""
    keys, seqs, messages = zip(*rendered, strict=True)
    values = (
        func.unnest(
            text_array("b_keys", keys),
            typed_array("b_seqs", seqs, BigInteger),
            typed_array("b_messages", messages, LargeBinary),
        )
        .table_valued("key", "seq", "message")
        .render_derived()
    )
    stmt = (
        update(_LISTINGS)
        .where(_LISTINGS.c.listing_key == values.c.key, _LISTINGS.c.change_seq == values.c.seq)
        .values(api_basic=values.c.message, api_seq=values.c.seq, api_version=RENDER_VERSION)
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def media_not_current(session: Session, after: str, limit: int) -> list[MediaRecord]:
    """The next ``limit`` photos (by key, after ``after``) without a message of this rendering."""
    rows = session.execute(
        select(*[ListingMedia.__mapper__.columns[name] for name in MediaRecord._fields])
        .where(ListingMedia.media_key > after, MEDIA_MESSAGE_STALE)
        .order_by(ListingMedia.media_key)
        .limit(limit)
    )
    return [MediaRecord._make(row) for row in rows]


def store_media_messages(session: Session, rendered: Sequence[tuple[str, bytes]]) -> int:
    """Store ``(media_key, message)`` on photos still without a message of this rendering (a
    photo the ingest replaced meanwhile has its own). Returns the rows written."""
    if is_postgresql(session) and rendered:
        values = (
            func.unnest(
                text_array("b_keys", [key for key, _ in rendered]),
                typed_array("b_messages", [message for _, message in rendered], LargeBinary),
            )
            .table_valued("key", "message")
            .render_derived()
        )
        unnested = (
            update(_MEDIA)
            .where(_MEDIA.c.media_key == values.c.key, MEDIA_MESSAGE_STALE)
            .values(api_message=values.c.message, api_version=RENDER_VERSION)
        )
        return int(session.execute(unnested).rowcount or 0)  # type: ignore[attr-defined]
    stmt = (
        update(_MEDIA)
        .where(_MEDIA.c.media_key == bindparam("b_key"), MEDIA_MESSAGE_STALE)
        .values(api_message=bindparam("b_message"), api_version=RENDER_VERSION)
    )
    params = [{"b_key": key, "b_message": message} for key, message in rendered]
    written = 0
    for chunk in chunks(params):
        written += int(session.execute(stmt, list(chunk)).rowcount or 0)  # type: ignore[attr-defined]
    return written


def insert_history(session: Session, entries: Sequence[HistoryEntry], recorded_at: datetime) -> int:
    """Insert history rows, ignoring ones already recorded; returns the rows actually added."""
    unique = {(e.listing_key, e.field, e.changed_at, e.new_value): e for e in entries}
    if not unique:
        return 0
    stmt = insert_for(session, _HISTORY).on_conflict_do_nothing().returning(_HISTORY.c.id)
    added = 0
    rows = [
        {
            "listing_key": e.listing_key,
            "field": e.field,
            "old_value": e.old_value,
            "new_value": e.new_value,
            "changed_at": e.changed_at,
            "recorded_at": recorded_at,
        }
        for e in unique.values()
    ]
    for chunk in chunks(rows):
        added += len(session.execute(stmt, list(chunk)).all())
    return added


def pending_media(session: Session) -> list[PendingMedia]:
    """Live listings whose media were read for another PhotosChangeTimestamp than the current."""
    rows = session.execute(
        select(Listing.listing_key, Listing.photos_change_timestamp, Listing.photos_count)
        .where(
            Listing.deleted_at.is_(None),
            Listing.photos_change_timestamp.is_distinct_from(Listing.media_synced_timestamp),
        )
        .order_by(Listing.listing_key)
    )
    return [PendingMedia(r.listing_key, r.photos_change_timestamp, r.photos_count) for r in rows]


def live_listing_keys(session: Session, *, seen_before: datetime) -> list[str]:
    """Keys of listings not deleted, first seen before ``seen_before``."""
    return list(
        session.scalars(
            select(Listing.listing_key).where(
                Listing.deleted_at.is_(None), Listing.first_seen_at < seen_before
            )
        )
    )


def soft_delete(session: Session, keys: Sequence[str], now: datetime) -> int:
    """Stamp deleted_at on live listings among ``keys`` (with a 'delete' change each)."""
    live: list[str] = []
    for chunk in chunks(keys):
        live.extend(
            session.scalars(
                select(Listing.listing_key).where(
                    key_in(session, Listing.listing_key, chunk), Listing.deleted_at.is_(None)
                )
            )
        )
    live.sort()
    seqs = append_changes(session, [(key, ChangeKind.DELETE) for key in live], now)
    messages = _restamped_messages(session, seqs, now, deleting=True)
    stmt = (
        update(_LISTINGS)
        .where(_LISTINGS.c.listing_key == bindparam("b_key"))
        .values(
            deleted_at=bindparam("b_now"),
            updated_at=bindparam("b_now"),
            change_seq=bindparam("b_seq"),
            **_API_PARAMS,
        )
    )
    params = [{"b_key": key, "b_now": now, "b_seq": seqs[key], **messages[key]} for key in live]
    for batch in chunks(params):
        session.execute(stmt, list(batch))
    return len(live)


def analyze_listing_tables(session: Session) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL; SQLite needs none).

    Autovacuum analyzes late after a first load, and until it does the read path gets plans
    made for empty tables.
    """
    if not is_postgresql(session):
        return
    tables = (_LISTINGS, _MEDIA, _HISTORY, _CHANGES, _MEMBERS, _OFFICES)
    preparer = session.get_bind().dialect.identifier_preparer
    session.execute(text("ANALYZE " + ", ".join(preparer.format_table(t) for t in tables)))


# -- members and offices --------------------------------------------------------------------


def load_member_hashes(session: Session, keys: Iterable[str]) -> dict[str, tuple[datetime, str]]:
    return _load_hashes(session, Member.member_key, Member.modification_timestamp, Member.raw, keys)


def load_office_hashes(session: Session, keys: Iterable[str]) -> dict[str, tuple[datetime, str]]:
    return _load_hashes(session, Office.office_key, Office.modification_timestamp, Office.raw, keys)


def _load_hashes(
    session: Session, key_col: Any, ts_col: Any, raw_col: Any, keys: Iterable[str]
) -> dict[str, tuple[datetime, str]]:
    found: dict[str, tuple[datetime, str]] = {}
    wanted = list(keys)
    for chunk in chunks(wanted):
        for key, ts, raw in session.execute(
            select(key_col, ts_col, raw_col).where(key_in(session, key_col, chunk))
        ):
            found[key] = (ts, content_hash(raw))
    return found


def upsert_members(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    upsert(session, _MEMBERS, rows, conflict=["member_key"], bulk=True)


def upsert_offices(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    upsert(session, _OFFICES, rows, conflict=["office_key"], bulk=True)
