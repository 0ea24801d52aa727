"""The ingest service over the Trestle sandbox in process, on SQLite and PostgreSQL.

The real ``TrestleClient`` reaches ``TrestleSandbox`` through an ``httpx.MockTransport`` (no
socket). Data changes come from the sandbox's own knobs (``advance``, faults); every expected
value is read from the sandbox (its records, media, roster, what it answered), never from the
code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.trestle_fixtures import MockTrestle, mock_trestle, moment, served, status
from wonder.clients.trestle import TrestleClient
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
PAGE_SIZE = 10


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@contextmanager
def client_for(trestle: MockTrestle, page_size: int = PAGE_SIZE) -> Iterator[TrestleClient]:
    with trestle.client(page_size) as client:
        yield client


def money(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def newest(truth: dict[str, dict[str, Any]]) -> tuple[datetime, str]:
    """(ModificationTimestamp, ListingKey) of the newest listing that has a key."""
    return max(
        (moment(r["ModificationTimestamp"]), r["ListingKey"])
        for r in truth.values()
        if "ListingKey" in r
    )


def count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def stored_media(sessions: sessionmaker[Session], key: str) -> int:
    return count(sessions, ListingMedia, ListingMedia.listing_key == key)


def assert_matches_sandbox(sessions: sessionmaker[Session], trestle: MockTrestle) -> None:
    """Every live listing stored once with the sandbox's values; its media equal too."""
    truth = trestle.sandbox.truth()
    media_truth = trestle.sandbox.media_truth()
    with sessions() as session:
        stored = {row.listing_key: row for row in session.scalars(select(Listing))}
        media = {
            (m.listing_key, m.media_key, m.order)
            for m in session.scalars(select(ListingMedia))
            if m.listing_key in truth
        }
    assert truth
    for key, record in truth.items():
        row = stored[key]
        assert served(row.modification_timestamp) == record["ModificationTimestamp"], key
        assert row.list_price == Decimal(record["ListPrice"]).quantize(Decimal("0.01")), key
        assert row.standard_status == status(record), key
        assert (row.deleted_at is not None) == (record["StandardStatus"] == "Delete"), key
        assert row.raw == record, key
    expected_media = {
        (m["ResourceRecordKey"], m["MediaKey"], m["Order"])
        for items in media_truth.values()
        for m in items
    }
    assert media == expected_media


def test_first_load_then_quiet_incremental(sessions: sessionmaker[Session]) -> None:
    trestle, clock = mock_trestle(listings=25, seed=21), Clock()
    truth = trestle.sandbox.truth()
    roster = trestle.sandbox.store.roster
    events: list[ProgressEvent] = []
    with client_for(trestle) as client:
        reports = service.first_load(
            client, sessions, SETTINGS, progress=events.append, clock=clock
        )
    listings, members, offices = reports
    assert (listings.inserted, listings.quarantined, listings.media_refreshed) == (
        len(truth),
        0,
        len(truth),
    )
    assert (members.inserted, offices.inserted) == (len(roster.members), len(roster.offices))
    # 1 high-water request + the full pages + the page after the last full one.
    assert listings.requests == 1 + len(truth) // PAGE_SIZE + 1
    assert events[0].resource == "Property"
    assert events[0].pages == 1
    assert_matches_sandbox(sessions, trestle)
    assert count(sessions, ListingChange) == len(truth)
    assert count(sessions, ListingHistory) == 0
    high_water, _ = newest(truth)
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property")
        assert cursor is not None
        assert cursor.modification_timestamp == high_water
        first = session.get(IngestCursor, "Property:first_load")
        assert first is not None
        assert first.state == {"done": True}
        assert first.last_key == max(truth)
        updated_before = {r.listing_key: r.updated_at for r in session.scalars(select(Listing))}

    since = high_water - timedelta(seconds=SETTINGS.overlap_seconds)
    in_overlap = [r for r in truth.values() if moment(r["ModificationTimestamp"]) >= since]
    exchanges_before = len(trestle.exchanges)
    with client_for(trestle) as client:
        listings = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
    assert trestle.queries("Property")[-1]["$filter"] == f"ModificationTimestamp ge {served(since)}"
    # Nothing changed: one Property request (plus one each for Member and Office).
    assert len(in_overlap) < PAGE_SIZE
    assert listings.requests == 1
    odata = [
        request
        for request, _ in trestle.exchanges[exchanges_before:]
        if request.url.path.startswith(trestle.settings.odata_path)
    ]
    assert len(odata) == 3
    assert (listings.inserted, listings.updated, listings.unchanged) == (0, 0, len(in_overlap))
    assert count(sessions, ListingChange) == len(truth)
    with sessions() as session:
        after = {r.listing_key: r.updated_at for r in session.scalars(select(Listing))}
    assert after == updated_before


def test_incremental_applies_changes_with_history_and_change_feed(
    sessions: sessionmaker[Session],
) -> None:
    trestle, clock = mock_trestle(listings=25, seed=22), Clock()
    sandbox = trestle.sandbox
    with client_for(trestle) as client:
        service.first_load(client, sessions, SETTINGS, clock=clock)
    before = sandbox.truth()
    # A remap of every listing sharing one timestamp across more than a page, plus targeted
    # changes at that same instant.
    touched = sandbox.advance(
        seconds=600,
        remapped=len(before),
        price_changes=1,
        status_changes=1,
        deleted_listings=1,
        new_listings=1,
        same_timestamp=True,
    )
    after = sandbox.truth()
    new = set(after) - set(before)
    deleted = {
        k
        for k in set(after) & set(before)
        if after[k]["StandardStatus"] == "Delete" != before[k]["StandardStatus"]
    }
    changed = {k for k in set(after) & set(before) if after[k] != before[k]}
    expected_history = set()
    for key in changed:
        if after[key]["ListPrice"] != before[key]["ListPrice"]:
            old, fresh = money(before[key]["ListPrice"]), money(after[key]["ListPrice"])
            expected_history.add((key, "list_price", old, fresh))
        if after[key]["StandardStatus"] != before[key]["StandardStatus"]:
            old, fresh = status(before[key]), status(after[key])
            expected_history.add((key, "standard_status", old, fresh))
    assert len({after[k]["ModificationTimestamp"] for k in changed | new}) == 1
    assert len(changed) > PAGE_SIZE
    assert (len(new), len(deleted)) == (1, 1)
    assert {k for k, *_ in expected_history} >= set(touched.price_changes)
    with sessions() as session:
        seq_before = session.scalar(select(func.max(ListingChange.seq)))

    with client_for(trestle) as client:
        listings = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
        assert (listings.inserted, listings.updated, listings.deleted) == (
            len(new),
            len(changed - deleted),
            len(deleted),
        )
        assert listings.history_rows == len(expected_history)
        assert listings.media_refreshed == len(new)  # the new listing's media, read from Media
        assert_matches_sandbox(sessions, trestle)
        with sessions() as session:
            history = {
                (h.listing_key, h.field, h.old_value, h.new_value)
                for h in session.scalars(select(ListingHistory))
            }
            assert history == expected_history
            kinds = dict(
                session.execute(
                    select(ListingChange.listing_key, ListingChange.kind).where(
                        ListingChange.seq > seq_before
                    )
                ).all()
            )
            assert kinds == {
                key: "delete" if after[key]["StandardStatus"] == "Delete" else "upsert"
                for key in changed | new
            }
            for key in changed | new:
                listing = session.get(Listing, key)
                assert listing is not None
                last_seq = session.scalar(
                    select(func.max(ListingChange.seq)).where(ListingChange.listing_key == key)
                )
                assert listing.change_seq == last_seq

        # Replaying the same window writes nothing more.
        changes = count(sessions, ListingChange)
        again = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
    assert (again.inserted, again.updated, again.history_rows) == (0, 0, 0)
    assert count(sessions, ListingChange) == changes


def test_media_refresh_and_empty_media_kept_for_refetch(sessions: sessionmaker[Session]) -> None:
    trestle, clock = mock_trestle(listings=6, seed=23), Clock()
    sandbox = trestle.sandbox
    truth = sandbox.truth()
    photographed = {k for k, r in truth.items() if r["PhotosCount"] > 0}
    assert photographed
    # Under load every $expand=Media of a photographed listing comes back empty.
    sandbox.set_faults(empty_expand_rate=1.0)
    with client_for(trestle, page_size=100) as client:
        first = service.first_load(client, sessions, SETTINGS, clock=clock)[0]
    assert sandbox.stats()["faults_injected"]["empty_expand"] == len(photographed)
    # The empty expands were fetched again from Media in the same run.
    assert first.media_refreshed == len(truth)
    assert first.media_refetch_pending == 0
    for key in truth:
        assert stored_media(sessions, key) == truth[key]["PhotosCount"]

    old_media = sandbox.media_truth()
    sandbox.set_faults(empty_media_rate=0.5)
    touched = sandbox.advance(seconds=300, media_changes=2)
    since = len(trestle.exchanges)
    with client_for(trestle, page_size=100) as client:
        report = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
    answers = trestle.answers("Media", since)
    assert len(answers) == 1  # one batch, one page: each listing drew its fault once
    answered = {m["ResourceRecordKey"] for body in answers for m in body["value"]}
    refreshed = set(touched.media_changes) & answered
    withheld = set(touched.media_changes) - answered
    assert (len(refreshed), len(withheld)) == (1, 1)  # this seed withholds one of the two
    assert report.media_refreshed == len(refreshed)
    assert report.media_refetch_pending == len(withheld)
    (good,), (missing,) = refreshed, withheld
    with sessions() as session:
        l_good = session.get(Listing, good)
        l_missing = session.get(Listing, missing)
        assert l_good is not None
        assert l_missing is not None
        assert l_good.media_synced_timestamp == l_good.photos_change_timestamp
        assert l_missing.media_synced_timestamp != l_missing.photos_change_timestamp
    new_media = sandbox.media_truth()
    assert stored_media(sessions, good) == len(new_media[good])
    assert stored_media(sessions, missing) == len(old_media[missing])  # old kept

    sandbox.set_faults()
    with client_for(trestle, page_size=100) as client:
        report = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
    assert (report.media_refreshed, report.media_refetch_pending) == (1, 0)
    assert_matches_sandbox(sessions, trestle)


def test_bad_records_are_quarantined_once_and_the_cursor_moves_on(
    sessions: sessionmaker[Session],
) -> None:
    trestle, clock = mock_trestle(listings=5, seed=24), Clock()
    sandbox = trestle.sandbox
    with client_for(trestle) as client:
        service.first_load(client, sessions, SETTINGS, clock=clock)
        touched = sandbox.advance(seconds=300, bad_records=3, new_listings=1, same_timestamp=True)
        truth = sandbox.truth()
        expected_reasons: dict[str | None, str] = {}
        for key in touched.bad_records:
            record = truth[key]
            if "ListingKey" not in record:
                expected_reasons[None] = "ListingKey: missing"
            elif record["ListPrice"] == "call agent":
                expected_reasons[key] = "ListPrice: expected a number, got string 'call agent'"
            else:
                assert record["BedroomsTotal"] == "three"
                expected_reasons[key] = "BedroomsTotal: expected an integer, got string 'three'"
        assert len(expected_reasons) == 3  # one of each kind

        report = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
        assert (report.quarantined, report.inserted) == (3, len(touched.new_listings))
        with sessions() as session:
            reasons = {q.record_key: q.reason for q in session.scalars(select(QuarantinedRecord))}
            cursor = session.get(IngestCursor, "Property")
            assert cursor is not None
            assert (cursor.modification_timestamp, cursor.last_key) == newest(truth)
        assert reasons == expected_reasons
        # Seen again in the overlap window: no new row, last_seen_at moves.
        report = service.incremental(client, sessions, SETTINGS, clock=clock)[0]
    assert report.quarantined == 3
    assert count(sessions, QuarantinedRecord) == 3
    with sessions() as session:
        rows = list(session.scalars(select(QuarantinedRecord)))
        assert all(q.last_seen_at > q.first_seen_at for q in rows)


def test_census_deletes_and_holds_mass_deletes(sessions: sessionmaker[Session]) -> None:
    trestle, clock = mock_trestle(listings=40, seed=25), Clock()
    sandbox = trestle.sandbox
    with client_for(trestle) as client:
        service.first_load(client, sessions, SETTINGS, clock=clock)
        stored = len(sandbox.truth())
        gone = sandbox.advance(seconds=60, vanished_listings=2).vanished
        report = service.census(client, sessions, SETTINGS, clock=clock)
        assert (report.source_keys, report.stored_keys, report.deleted) == (
            len(sandbox.truth()),
            stored,
            len(gone),
        )
        assert not report.held
        assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 2
        assert count(sessions, ListingChange, ListingChange.kind == "delete") == 2

        # Half of what we hold vanishes: an outage, not a real delete.
        gone = sandbox.advance(seconds=60, vanished_listings=18).vanished
        report = service.census(client, sessions, SETTINGS, clock=clock)
        assert report.held
        assert report.held_delete_id is not None
        assert report.deleted == 0
        assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 2
        with sessions() as session:
            row = session.get(HeldDelete, report.held_delete_id)
            assert row is not None
            assert sorted(row.keys) == sorted(gone)
        # The same census again reuses the held row.
        again = service.census(client, sessions, SETTINGS, clock=clock)
        assert again.held_delete_id == report.held_delete_id
        assert count(sessions, HeldDelete) == 1

        assert service.approve_held_delete(sessions, report.held_delete_id, clock=clock) == 18
        assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 20
        with pytest.raises(FailedPrecondition, match="already applied"):
            service.approve_held_delete(sessions, report.held_delete_id, clock=clock)

        sandbox.advance(seconds=60, vanished_listings=15)
        held = service.census(client, sessions, SETTINGS, clock=clock)
    assert held.held_delete_id is not None
    assert service.reject_held_delete(sessions, held.held_delete_id, clock=clock) == 15
    assert count(sessions, Listing, Listing.deleted_at.is_not(None)) == 20


class ProcessDied(Exception):
    """Raised from the progress callback: the ingest process dies after a committed page."""


def test_first_load_resumes_after_a_crash(sessions: sessionmaker[Session]) -> None:
    trestle, clock = mock_trestle(listings=35, seed=26), Clock()
    sandbox = trestle.sandbox
    keys = sorted(sandbox.truth())

    def die_after_two_pages(event: ProgressEvent) -> None:
        if event.resource == "Property" and event.pages == 2:
            raise ProcessDied

    with client_for(trestle) as client, pytest.raises(ProcessDied):
        service.first_load(client, sessions, SETTINGS, progress=die_after_two_pages, clock=clock)
    loaded = set(keys[: 2 * PAGE_SIZE])
    assert count(sessions, Listing) == len(loaded)
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property:first_load")
        assert cursor is not None
        assert cursor.last_key == max(loaded)
    # Something changes in the meantime, loaded listings and not-yet-loaded ones alike.
    changed = set(sandbox.advance(seconds=120, price_changes=5).price_changes)
    assert changed & loaded
    assert changed - loaded

    since = len(trestle.exchanges)
    with client_for(trestle) as client:
        listings = service.first_load(client, sessions, SETTINGS, clock=clock)[0]
        resumed = trestle.queries("Property", since)[0]
        assert (resumed["replication"], resumed["$filter"]) == (
            "true",
            f"ListingKey gt '{max(loaded)}'",
        )
        assert listings.inserted == len(keys) - len(loaded)
        assert count(sessions, Listing) == len(keys)
        assert count(sessions, ListingChange) == len(keys)
        # The changes to listings already loaded are past the high-water mark: incremental
        # has them (those not loaded yet came in their new version with the resumed load).
        service.incremental(client, sessions, SETTINGS, clock=clock)
    assert_matches_sandbox(sessions, trestle)
    assert count(sessions, ListingHistory) == len(changed & loaded)
