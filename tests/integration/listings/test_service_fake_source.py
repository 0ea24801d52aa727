"""The ingest service over an in-memory source, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.fake_source import (
    FakeSource,
    make_listing,
    make_media,
    stamp,
)
from wonder.db.models import (
    HeldDelete,
    IngestCursor,
    Listing,
    ListingChange,
    ListingHistory,
    ListingMedia,
    QuarantinedRecord,
)
from wonder.errors import FailedPrecondition
from wonder.listings import service
from wonder.listings.report import ProgressEvent
from wonder.settings import ListingIngestSettings

SETTINGS = ListingIngestSettings(overlap_seconds=5, mass_delete_min_rows=3, media_batch_size=4)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def seeded_source(listings: int = 25) -> FakeSource:
    source = FakeSource(page_size=10)
    for i in range(listings):
        source.records("Property").append(make_listing(i, seconds=i))
        source.records("Media").extend(make_media(f"L{i:04d}", 2))
    for i in range(3):
        source.records("Member").append(
            {
                "MemberKey": f"A{i}",
                "MemberFullName": f"Agent {i}",
                "OfficeKey": "O0",
                "ModificationTimestamp": stamp(i),
            }
        )
    source.records("Office").append(
        {"OfficeKey": "O0", "OfficeName": "Wonder Realty", "ModificationTimestamp": stamp(0)}
    )
    return source


def count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def assert_matches_source(sessions: sessionmaker[Session], source: FakeSource) -> None:
    """Every live source listing stored once with equal values; media equal too."""
    with sessions() as session:
        stored = {row.listing_key: row for row in session.scalars(select(Listing))}
        media = {
            (m.listing_key, m.media_key, m.order) for m in session.scalars(select(ListingMedia))
        }
    live = {r["ListingKey"]: r for r in source.records("Property")}
    for key, record in live.items():
        row = stored[key]
        assert (
            row.modification_timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            == record["ModificationTimestamp"]
        )
        assert row.list_price == Decimal(record["ListPrice"]).quantize(Decimal("0.01"))
        assert row.standard_status == record["StandardStatus"]
        assert (row.deleted_at is not None) == (record["StandardStatus"] == "Delete")
        assert row.raw == record
    expected_media = {
        (m["ResourceRecordKey"], m["MediaKey"], m["Order"]) for m in source.records("Media")
    }
    assert media == expected_media


def test_first_load_then_quiet_incremental(sessions: sessionmaker[Session]) -> None:
    source, clock = seeded_source(), Clock()
    events: list[ProgressEvent] = []
    reports = service.first_load(source, sessions, SETTINGS, progress=events.append, clock=clock)
    listings, members, offices = reports
    assert (listings.inserted, listings.quarantined, listings.media_refreshed) == (25, 0, 25)
    assert (members.inserted, offices.inserted) == (3, 1)
    # 1 high-water request + 3 full pages + the empty page after the last full one.
    assert listings.requests == 4
    assert events[0].resource == "Property"
    assert events[0].pages == 1
    assert_matches_source(sessions, source)
    assert count(sessions, ListingChange) == 25
    assert count(sessions, ListingHistory) == 0
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property")
        assert cursor is not None
        assert cursor.modification_timestamp == datetime(2026, 1, 31, 12, 0, 24, tzinfo=UTC)
        first = session.get(IngestCursor, "Property:first_load")
        assert first is not None
        assert first.state == {"done": True}
        assert first.last_key == "L0024"
        updated_before = {r.listing_key: r.updated_at for r in session.scalars(select(Listing))}

    before = source.requests_made
    reports = service.incremental(source, sessions, SETTINGS, clock=clock)
    listings = reports[0]
    assert source.queries[-3]["filter"] == "ModificationTimestamp ge 2026-01-31T12:00:19.000Z"
    # Nothing changed: one Property request (plus one each for Member and Office).
    assert listings.requests == 1
    assert source.requests_made - before == 3
    assert (listings.inserted, listings.updated, listings.unchanged) == (0, 0, 6)
    assert count(sessions, ListingChange) == 25
    with sessions() as session:
        after = {r.listing_key: r.updated_at for r in session.scalars(select(Listing))}
    assert after == updated_before


def test_incremental_applies_changes_with_history_and_change_feed(
    sessions: sessionmaker[Session],
) -> None:
    source, clock = seeded_source(), Clock()
    service.first_load(source, sessions, SETTINGS, clock=clock)
    rows = {r["ListingKey"]: r for r in source.records("Property")}
    # A mass update sharing one timestamp across more than a page, plus targeted changes.
    for i in range(25):
        rows[f"L{i:04d}"]["ModificationTimestamp"] = stamp(1000)
        rows[f"L{i:04d}"]["X_Remapped"] = True
    rows["L0003"]["ListPrice"] = 99999.5
    rows["L0004"]["StandardStatus"] = "Pending"
    rows["L0005"]["StandardStatus"] = "Delete"
    source.records("Property").append(make_listing(100, seconds=1001))
    source.records("Media").extend(make_media("L0100", 1))
    with sessions() as session:
        seq_before = session.scalar(select(func.max(ListingChange.seq)))

    listings = service.incremental(source, sessions, SETTINGS, clock=clock)[0]
    assert (listings.inserted, listings.updated, listings.deleted) == (1, 24, 1)
    assert listings.history_rows == 3
    assert listings.media_refreshed == 1  # the new listing's media, read from Media
    assert_matches_source(sessions, source)
    with sessions() as session:
        history = {
            (h.listing_key, h.field, h.old_value, h.new_value)
            for h in session.scalars(select(ListingHistory))
        }
        assert history == {
            ("L0003", "list_price", "103000.00", "99999.50"),
            ("L0004", "standard_status", "Active", "Pending"),
            ("L0005", "standard_status", "Active", "Delete"),
        }
        kinds = dict(
            session.execute(
                select(ListingChange.listing_key, ListingChange.kind).where(
                    ListingChange.seq > seq_before
                )
            ).all()
        )
        assert kinds["L0005"] == "delete"
        assert kinds["L0003"] == "upsert"
        listing = session.get(Listing, "L0003")
        assert listing is not None
        last_seq = session.scalar(
            select(func.max(ListingChange.seq)).where(ListingChange.listing_key == "L0003")
        )
        assert listing.change_seq == last_seq

    # Replaying the same window writes nothing more.
    changes = count(sessions, ListingChange)
    again = service.incremental(source, sessions, SETTINGS, clock=clock)[0]
    assert (again.inserted, again.updated, again.history_rows) == (0, 0, 0)
    assert count(sessions, ListingChange) == changes


def test_media_refresh_and_empty_media_kept_for_refetch(sessions: sessionmaker[Session]) -> None:
    source, clock = seeded_source(6), Clock()
    source.empty_expand = {"L0001"}
    first = service.first_load(source, sessions, SETTINGS, clock=clock)[0]
    # The empty expand was fetched again from Media in the same run.
    assert first.media_refreshed == 6
    assert first.media_refetch_pending == 0
    assert count(sessions, ListingMedia, ListingMedia.listing_key == "L0001") == 2

    rows = {r["ListingKey"]: r for r in source.records("Property")}
    for key in ("L0002", "L0003"):
        rows[key]["PhotosChangeTimestamp"] = stamp(500)
        rows[key]["ModificationTimestamp"] = stamp(500)
        rows[key]["PhotosCount"] = 3
    media = source.records("Media")
    media[:] = [m for m in media if m["ResourceRecordKey"] not in ("L0002", "L0003")]
    media.extend(make_media("L0002", 3, version=1))  # L0003's new media are missing
    report = service.incremental(source, sessions, SETTINGS, clock=clock)[0]
    assert report.media_refreshed == 1
    assert report.media_refetch_pending == 1
    with sessions() as session:
        l2 = session.get(Listing, "L0002")
        l3 = session.get(Listing, "L0003")
        assert l2 is not None
        assert l3 is not None
        assert l2.media_synced_timestamp == l2.photos_change_timestamp
        assert l3.media_synced_timestamp != l3.photos_change_timestamp
    assert count(sessions, ListingMedia, ListingMedia.listing_key == "L0002") == 3
    assert count(sessions, ListingMedia, ListingMedia.listing_key == "L0003") == 2  # old kept

    media.extend(make_media("L0003", 3, version=1))
    report = service.incremental(source, sessions, SETTINGS, clock=clock)[0]
    assert (report.media_refreshed, report.media_refetch_pending) == (1, 0)
    assert_matches_source(sessions, source)


def test_bad_records_are_quarantined_once_and_the_cursor_moves_on(
    sessions: sessionmaker[Session],
) -> None:
    source, clock = seeded_source(5), Clock()
    service.first_load(source, sessions, SETTINGS, clock=clock)
    bad = make_listing(50, seconds=2000, ListPrice="call agent")
    keyless = make_listing(51, seconds=2001)
    del keyless["ListingKey"]
    source.records("Property").extend([bad, keyless, make_listing(52, seconds=2002)])
    report = service.incremental(source, sessions, SETTINGS, clock=clock)[0]
    assert (report.quarantined, report.inserted) == (2, 1)
    with sessions() as session:
        reasons = {q.record_key: q.reason for q in session.scalars(select(QuarantinedRecord))}
        cursor = session.get(IngestCursor, "Property")
        assert cursor is not None
        assert cursor.last_key == "L0052"
    assert reasons == {
        "L0050": "ListPrice: expected a number, got string 'call agent'",
        None: "ListingKey: missing",
    }
    # Seen again in the overlap window: no new row, last_seen_at moves.
    report = service.incremental(source, sessions, SETTINGS, clock=clock)[0]
    assert report.quarantined == 2
    assert count(sessions, QuarantinedRecord) == 2
    with sessions() as session:
        rows = list(session.scalars(select(QuarantinedRecord)))
        assert all(q.last_seen_at > q.first_seen_at for q in rows)


def test_census_deletes_and_holds_mass_deletes(sessions: sessionmaker[Session]) -> None:
    source, clock = seeded_source(40), Clock()
    service.first_load(source, sessions, SETTINGS, clock=clock)
    props = source.records("Property")
    props[:] = [r for r in props if r["ListingKey"] not in ("L0001", "L0002")]
    report = service.census(source, sessions, SETTINGS, clock=clock)
    assert (report.source_keys, report.stored_keys, report.deleted) == (38, 40, 2)
    assert not report.held
    assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 2
    assert count(sessions, ListingChange, ListingChange.kind == "delete") == 2

    props[:] = props[:20]  # half of what we hold vanishes: an outage, not a real delete
    report = service.census(source, sessions, SETTINGS, clock=clock)
    assert report.held
    assert report.held_delete_id is not None
    assert report.deleted == 0
    assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 2
    # The same census again reuses the held row.
    assert service.census(source, sessions, SETTINGS, clock=clock).held_delete_id == (
        report.held_delete_id
    )
    assert count(sessions, HeldDelete) == 1

    assert service.approve_held_delete(sessions, report.held_delete_id, clock=clock) == 18
    assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 20
    with pytest.raises(FailedPrecondition, match="already applied"):
        service.approve_held_delete(sessions, report.held_delete_id, clock=clock)

    props[:] = props[:5]
    held = service.census(source, sessions, SETTINGS, clock=clock)
    assert held.held_delete_id is not None
    assert service.reject_held_delete(sessions, held.held_delete_id, clock=clock) == 15
    assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 20


def test_first_load_resumes_after_a_crash(sessions: sessionmaker[Session]) -> None:
    source, clock = seeded_source(35), Clock()
    source.fail_after = 3  # high-water mark + 2 pages, then the "process dies"
    with pytest.raises(ConnectionError):
        service.first_load(source, sessions, SETTINGS, clock=clock)
    assert count(sessions, Listing) == 20
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property:first_load")
        assert cursor is not None
        assert cursor.last_key == "L0019"
    # Something changes in the meantime.
    source.records("Property")[0]["ListPrice"] = 1
    source.records("Property")[0]["ModificationTimestamp"] = stamp(5000)
    source.fail_after = None
    listings = service.first_load(source, sessions, SETTINGS, clock=clock)[0]
    assert source.queries[-3]["filter"] == "ListingKey gt 'L0019'"
    assert listings.inserted == 15
    assert count(sessions, Listing) == 35
    assert count(sessions, ListingChange) == 35
    # The change to L0000 (already loaded) is past the high-water mark: incremental has it.
    service.incremental(source, sessions, SETTINGS, clock=clock)
    assert_matches_source(sessions, source)
    assert count(sessions, ListingHistory) == 1
