"""One Property page planned against the stored states, without a database.

What a page writes (rows, change-feed entries, history, media replacements, quarantine and the
report's counts) follows from the records and the stored listings given here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from wonder.db.models import ChangeKind, HistoryField, Listing
from wonder.ingest.hashing import content_hash
from wonder.listings.changes import HistoryEntry, StoredListing
from wonder.listings.normalize import (
    NormalizedListing,
    NormalizedMedia,
    Rejected,
    normalize_property,
)
from wonder.listings.page_plan import (
    PageWrites,
    PreparedPage,
    plan_property_page,
    prepare_property_page,
)
from wonder.listings.report import IngestReport

T0 = datetime(2026, 1, 31, 12, tzinfo=UTC)
NOW = datetime(2026, 2, 1, 8, tzinfo=UTC)
PHOTOS_AT = datetime(2026, 1, 31, 11, tzinfo=UTC)


def stamp(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def record(key: str = "L1", when: datetime = T0, **fields: Any) -> dict[str, Any]:
    return {
        "ListingKey": key,
        "ModificationTimestamp": stamp(when),
        "StandardStatus": "Active",
        "ListPrice": 100000,
        **fields,
    }


def media_item(key: str, parent: str = "L1", **fields: Any) -> dict[str, Any]:
    return {"MediaKey": key, "ResourceRecordKey": parent, **fields}


def stored_as(raw: dict[str, Any], **overrides: Any) -> StoredListing:
    """What the store holds after having written ``raw`` (its media synced)."""
    listing = normalize_property(raw)
    assert isinstance(listing, NormalizedListing)
    values: dict[str, Any] = {
        "listing_key": listing.listing_key,
        "modification_timestamp": listing.modification_timestamp,
        "content_hash": listing.content_hash,
        "list_price": listing.list_price,
        "standard_status": listing.standard_status,
        "deleted_at": None,
        "photos_change_timestamp": listing.photos_change_timestamp,
        "media_synced_timestamp": listing.photos_change_timestamp,
    }
    values.update(overrides)
    return StoredListing(**values)


def plan(records: list[dict[str, Any]], stored: dict[str, StoredListing] | None = None) -> Any:
    return plan_property_page(prepare_property_page(records), stored or {}, NOW)


# --- prepare_property_page --------------------------------------------------------------------


def test_prepare_splits_accepted_and_rejected_records() -> None:
    bad = record("L2", ListPrice="call agent")
    page = prepare_property_page([record("L1"), bad])
    assert list(page.accepted) == ["L1"]
    assert page.accepted["L1"].list_price == Decimal("100000.00")
    assert page.rejected == [
        (bad, Rejected("ListPrice: expected a number, got string 'call agent'", "L2"))
    ]
    assert page.expanded == {"L1": None}  # no Media array came with it


def test_the_newest_version_of_a_listing_in_a_page_wins() -> None:
    older, newer = record(when=T0, City="Old"), record(when=T0 + timedelta(minutes=1), City="New")
    assert prepare_property_page([older, newer]).accepted["L1"].city == "New"
    assert prepare_property_page([newer, older]).accepted["L1"].city == "New"
    # The same instant twice: the later record of the page is the one kept.
    first, second = record(City="First"), record(City="Second")
    assert prepare_property_page([first, second]).accepted["L1"].city == "Second"


def test_the_kept_version_brings_its_own_media() -> None:
    newer = record(when=T0 + timedelta(minutes=1), Media=[media_item("M2")])
    older = record(when=T0, Media=[media_item("M1")])
    page = prepare_property_page([newer, older])
    items = page.expanded["L1"]
    assert items is not None
    assert [item for item, _ in items] == [media_item("M2")]


def test_expanded_media_are_normalized_under_their_listing() -> None:
    items = [media_item("M1", Order=1), {"MediaKey": "M2"}, media_item("M3", parent="L9")]
    page = prepare_property_page([record(Media=items), record("L2", Media="not a list")])
    expanded = page.expanded["L1"]
    assert expanded is not None
    assert [item for item, _ in expanded] == items
    first, second, third = (result for _, result in expanded)
    assert isinstance(first, NormalizedMedia)
    assert (first.media_key, first.listing_key, first.order) == ("M1", "L1", 1)
    assert isinstance(second, NormalizedMedia)
    assert second.listing_key == "L1"  # the parent comes from the expanding listing
    assert third == Rejected("ResourceRecordKey: 'L9' is not the expanding listing 'L1'", "M3")
    assert page.expanded["L2"] is None


def test_a_record_with_nul_anywhere_is_rejected_with_its_key() -> None:
    # PostgreSQL cannot store NUL in JSON text, not even in a field we keep no column for.
    assert normalize_property(record(X_Note="a\x00b")) == Rejected(
        "raw: contains a NUL character", "L1"
    )
    page = prepare_property_page([record(X_Note="a\x00b")])
    assert page.accepted == {}
    assert [rejected for _, rejected in page.rejected] == [
        Rejected("raw: contains a NUL character", "L1")
    ]


def test_a_backslash_followed_by_u0000_is_not_a_nul() -> None:
    assert isinstance(normalize_property(record(X_Note="C:\\u0000\\file")), NormalizedListing)


# --- plan_property_page -----------------------------------------------------------------------


def test_a_new_listing_is_inserted_with_its_row_and_one_upsert() -> None:
    raw = record(PhotosChangeTimestamp=stamp(PHOTOS_AT))
    result = plan([raw])
    assert (result.writes.inserted, result.writes.updated, result.writes.unchanged) == (1, 0, 0)
    assert result.writes.deleted == 0
    assert result.changes == [("L1", ChangeKind.UPSERT)]
    assert result.history == []
    (row,) = result.rows
    assert row["listing_key"] == "L1"
    assert row["list_price"] == Decimal("100000.00")
    assert row["raw"] == raw
    assert set(row) <= set(Listing.__table__.columns.keys())
    assert row["deleted_at"] is None
    assert row["first_seen_at"] == NOW
    assert row["updated_at"] == NOW
    # No media came with it: nothing replaced, nothing synced yet.
    assert row["media_synced_timestamp"] is None
    assert result.media_for == {}
    assert result.media_only == {}


def test_the_same_record_again_writes_nothing() -> None:
    raw = record()
    result = plan([raw], {"L1": stored_as(raw)})
    assert result.writes.unchanged == 1
    assert (result.writes.inserted, result.writes.updated, result.writes.deleted) == (0, 0, 0)
    assert result.rows == []
    assert result.changes == []
    assert result.history == []


def test_an_update_carries_its_history_and_keeps_the_media_mark() -> None:
    before = record(PhotosChangeTimestamp=stamp(PHOTOS_AT))
    after = record(when=T0 + timedelta(minutes=5), ListPrice=95000, StandardStatus="Pending")
    synced = PHOTOS_AT - timedelta(days=1)
    result = plan([after], {"L1": stored_as(before, media_synced_timestamp=synced)})
    assert (result.writes.updated, result.writes.inserted, result.writes.unchanged) == (1, 0, 0)
    changed_at = T0 + timedelta(minutes=5)
    assert result.history == [
        HistoryEntry("L1", HistoryField.LIST_PRICE, "100000.00", "95000.00", changed_at),
        HistoryEntry("L1", HistoryField.STANDARD_STATUS, "Active", "Pending", changed_at),
    ]
    assert result.changes == [("L1", ChangeKind.UPSERT)]
    (row,) = result.rows
    assert row["standard_status"] == "Pending"
    assert row["media_synced_timestamp"] == synced  # no media read: the stored mark stands
    assert row["deleted_at"] is None


def test_a_delete_status_soft_deletes_and_feeds_a_delete() -> None:
    before = record()
    gone = record(when=T0 + timedelta(minutes=1), StandardStatus="Delete")
    result = plan([gone], {"L1": stored_as(before)})
    assert result.writes.deleted == 1
    assert (result.writes.updated, result.writes.inserted) == (0, 0)
    assert result.changes == [("L1", ChangeKind.DELETE)]
    assert result.rows[0]["deleted_at"] == NOW
    # First seen already deleted: counted as a delete, fed as one.
    fresh = plan([record("L2", StandardStatus="Delete")])
    assert (fresh.writes.deleted, fresh.writes.inserted) == (1, 0)
    assert fresh.changes == [("L2", ChangeKind.DELETE)]


def test_an_already_deleted_listing_updated_again_keeps_its_deletion_time() -> None:
    deleted_at = T0 - timedelta(days=3)
    before = record(StandardStatus="Delete")
    again = record(when=T0 + timedelta(minutes=1), StandardStatus="Delete", City="Austin")
    result = plan([again], {"L1": stored_as(before, deleted_at=deleted_at)})
    assert (result.writes.updated, result.writes.deleted) == (1, 0)
    assert result.changes == [("L1", ChangeKind.DELETE)]
    assert result.rows[0]["deleted_at"] == deleted_at


def test_rejected_records_are_quarantined_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = record("L2", ListPrice="call agent")
    keyless = {"ModificationTimestamp": stamp(T0)}
    with caplog.at_level(logging.WARNING, logger="wonder.listings.service"):
        result = plan([record(), bad, keyless])
    assert result.writes.quarantined == 2
    assert result.writes.inserted == 1
    first, second = result.writes.quarantine
    assert (first.resource, first.record_key, first.raw) == ("Property", "L2", bad)
    assert first.reason == "ListPrice: expected a number, got string 'call agent'"
    assert first.payload_hash == content_hash(bad)
    assert (second.resource, second.record_key, second.reason) == (
        "Property",
        None,
        "ListingKey: missing",
    )
    assert [r.getMessage() for r in caplog.records] == [
        "quarantined Property L2: ListPrice: expected a number, got string 'call agent'",
        "quarantined Property (no key): ListingKey: missing",
    ]


def test_media_that_came_with_a_changed_listing_replace_the_stored_ones() -> None:
    items = [media_item("M1", Order=1), media_item("M2", Order="2"), media_item("M3", Order=3)]
    raw = record(PhotosCount=3, PhotosChangeTimestamp=stamp(PHOTOS_AT), Media=items)
    result = plan([raw])
    assert result.writes.inserted == 1
    assert [m.media_key for m in result.media_for["L1"]] == ["M1", "M3"]
    assert result.media_only == {}
    assert result.rows[0]["media_synced_timestamp"] == PHOTOS_AT
    # The bad item is quarantined as Media, the listing itself is kept.
    assert result.writes.quarantined == 1
    (entry,) = result.writes.quarantine
    assert (entry.resource, entry.record_key, entry.raw) == ("Media", "M2", items[1])
    assert entry.reason == "Order: expected an integer, got string '2'"
    assert result.changes == [("L1", ChangeKind.UPSERT)]


def test_media_of_an_unchanged_listing_move_only_the_media_mark() -> None:
    items = [media_item("M1")]
    stored_raw = record(PhotosCount=1, PhotosChangeTimestamp=stamp(PHOTOS_AT))
    raw = {**stored_raw, "Media": items}
    # Stored without its media synced: the same version re-read with media refreshes them.
    stored = stored_as(stored_raw, media_synced_timestamp=None)
    result = plan([raw], {"L1": stored})
    assert result.writes.unchanged == 1
    assert result.rows == []
    assert [m.media_key for m in result.media_for["L1"]] == ["M1"]
    assert result.media_only == {"L1": PHOTOS_AT}
    assert result.changes == [("L1", ChangeKind.UPSERT)]


def test_media_already_synced_for_this_version_are_kept() -> None:
    items = [media_item("M1"), media_item("M2", Order="2")]
    raw = record(PhotosCount=2, PhotosChangeTimestamp=stamp(PHOTOS_AT), Media=items)
    result = plan([raw], {"L1": stored_as(raw)})
    assert result.writes.unchanged == 1
    assert result.media_for == {}
    assert result.media_only == {}
    assert result.changes == []
    # Media that are not written are not judged either: nothing is quarantined.
    assert result.writes.quarantined == 0
    assert result.writes.quarantine == []


def test_media_of_an_older_version_than_stored_are_ignored() -> None:
    newer = record(when=T0 + timedelta(hours=1), PhotosCount=1)
    older = record(when=T0, PhotosCount=1, Media=[media_item("M0")])
    result = plan([older], {"L1": stored_as(newer, media_synced_timestamp=None)})
    assert result.writes.unchanged == 1
    assert result.media_for == {}
    assert result.media_only == {}
    assert result.changes == []


def test_no_media_while_photos_exist_leaves_the_mark_for_a_later_refetch() -> None:
    before = record(PhotosCount=2, PhotosChangeTimestamp=stamp(PHOTOS_AT - timedelta(hours=1)))
    after = record(
        when=T0 + timedelta(minutes=1),
        PhotosCount=2,
        PhotosChangeTimestamp=stamp(PHOTOS_AT),
        Media=[],
    )
    old_mark = PHOTOS_AT - timedelta(hours=1)
    result = plan([after], {"L1": stored_as(before, media_synced_timestamp=old_mark)})
    assert result.writes.updated == 1
    assert result.media_for == {}
    assert result.rows[0]["media_synced_timestamp"] == old_mark


def test_a_mixed_page_counts_every_listing() -> None:
    later = T0 + timedelta(minutes=1)
    same = [record(f"S{i}") for i in range(2)]
    changed = [record(f"U{i}") for i in range(2)]
    gone = [record(f"D{i}") for i in range(2)]
    stored = {r["ListingKey"]: stored_as(r) for r in same + changed + gone}
    page = [
        *same,  # unchanged ones first: the rest of the page must still be planned
        *(record(f"N{i}") for i in range(3)),
        *(record(r["ListingKey"], later, City="Austin") for r in changed),
        *(record(r["ListingKey"], later, StandardStatus="Delete") for r in gone),
    ]
    result = plan(page, stored)
    writes = result.writes
    assert (writes.unchanged, writes.inserted, writes.updated, writes.deleted) == (2, 3, 2, 2)
    assert [key for key, _ in result.changes] == ["N0", "N1", "N2", "U0", "U1", "D0", "D1"]
    assert [kind for _, kind in result.changes] == [ChangeKind.UPSERT] * 5 + [ChangeKind.DELETE] * 2
    assert len(result.rows) == 7


def test_page_counts_add_to_the_report() -> None:
    report = IngestReport("Property", "incremental", inserted=1, updated=2, unchanged=3)
    report.deleted, report.quarantined, report.media_refreshed, report.history_rows = 4, 5, 6, 7
    writes = PageWrites(
        inserted=10,
        updated=20,
        unchanged=30,
        deleted=40,
        quarantined=50,
        media_refreshed=60,
        history_rows=70,
    )
    writes.add_to(report)
    assert (report.inserted, report.updated, report.unchanged, report.deleted) == (11, 22, 33, 44)
    assert (report.quarantined, report.media_refreshed, report.history_rows) == (55, 66, 77)


def test_an_empty_page_plans_nothing() -> None:
    result = plan_property_page(PreparedPage([], {}, {}), {}, NOW)
    assert result.rows == []
    assert result.changes == []
    assert result.writes == PageWrites()
