"""The ingest end to end: Trestle sandbox over loopback HTTP → TrestleClient → service → database.

The oracle is the sandbox's own truth (every live listing's current record); the database must
match it exactly after each run, whatever the faults.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.trestle_fixtures import RunningTrestle
from wonder.clients.trestle import TrestleClient
from wonder.db.models import (
    HeldDelete,
    Listing,
    ListingChange,
    ListingHistory,
    ListingMedia,
    Member,
    Office,
    QuarantinedRecord,
)
from wonder.listings import service
from wonder.listings.normalize import NormalizedListing, normalize_property
from wonder.settings import ListingIngestSettings, TrestleSettings

INGEST = ListingIngestSettings(mass_delete_min_rows=5)


def client_settings(running: RunningTrestle, page_size: int = 20) -> TrestleSettings:
    # Quick retries: faults are injected on purpose and the test should not sleep for them.
    return running.settings.model_copy(
        update={
            "page_size": page_size,
            "max_retries": 12,
            "backoff_base_seconds": 0.001,
            "backoff_max_seconds": 0.01,
        }
    )


class VirtualTime:
    """The client's clock and sleep: waiting (quota windows after a 429) moves time, instantly."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.offset += max(seconds, 0.0)


@contextmanager
def trestle_client(running: RunningTrestle, page_size: int = 20) -> Iterator[TrestleClient]:
    virtual = VirtualTime()
    settings = client_settings(running, page_size)
    with TrestleClient(settings, clock=virtual.monotonic, sleep=virtual.sleep) as client:
        yield client


def count(sessions: sessionmaker[Session], model: Any, *where: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def source_media(running: RunningTrestle) -> dict[str, set[tuple[str, int | None]]]:
    grouped: dict[str, set[tuple[str, int | None]]] = defaultdict(set)
    with trestle_client(running, 1000) as client:
        for page in client.pages("Media", orderby="ResourceRecordKey,Order"):
            for media in page.records:
                grouped[media["ResourceRecordKey"]].add((media["MediaKey"], media["Order"]))
    return grouped


def assert_matches_truth(
    sessions: sessionmaker[Session], running: RunningTrestle, *, census_done: bool = False
) -> None:
    truth = running.sandbox.truth()
    media_truth = source_media(running)
    with sessions() as session:
        stored = {row.listing_key: row for row in session.scalars(select(Listing))}
        quarantined = set(session.scalars(select(QuarantinedRecord.record_key)))
        media: dict[str, set[tuple[str, int | None]]] = defaultdict(set)
        for item in session.scalars(select(ListingMedia)):
            media[item.listing_key].add((item.media_key, item.order))
    assert truth, "the sandbox should hold listings"
    for key, record in truth.items():
        expected = normalize_property(record)
        if not isinstance(expected, NormalizedListing):
            # A record without a usable key is quarantined without one.
            assert expected.key in quarantined, f"{key} was neither stored nor quarantined"
            continue
        row = stored[key]
        assert row.raw == expected.raw, key
        for name, value in expected.columns().items():
            assert getattr(row, name) == value, (key, name)
        assert (row.deleted_at is not None) == expected.is_delete, key
        if not expected.is_delete:
            assert media[key] == media_truth.get(key, set()), key
            assert row.media_synced_timestamp == row.photos_change_timestamp, key
    live_stored = {key for key, row in stored.items() if row.deleted_at is None}
    vanished = live_stored - set(truth)
    if census_done:
        assert not vanished
    # Every change-feed row belongs to a stored listing, and each listing points at its last one.
    with sessions() as session:
        last = dict(
            session.execute(
                select(ListingChange.listing_key, func.max(ListingChange.seq)).group_by(
                    ListingChange.listing_key
                )
            ).all()
        )
    for key, row in stored.items():
        assert row.change_seq == last[key], key


def test_first_load_equals_the_sandbox_and_a_quiet_sync_costs_one_request(
    sessions: sessionmaker[Session], trestle_sandbox: RunningTrestle
) -> None:
    with trestle_client(trestle_sandbox) as client:
        listings, members, offices = service.first_load(client, sessions, INGEST)
        assert listings.inserted + listings.deleted == 60
        assert listings.pages >= 3
        assert listings.quarantined == 0
        assert members.inserted > 0
        assert offices.inserted > 0
        assert_matches_truth(sessions, trestle_sandbox)
        assert count(sessions, Member) == members.inserted
        assert count(sessions, Office) == offices.inserted

        changes = count(sessions, ListingChange)
        for _ in range(2):
            listings, members, offices = service.incremental_sync(client, sessions, INGEST)
            assert listings.requests == 1
            assert (listings.inserted, listings.updated, listings.deleted) == (0, 0, 0)
            assert (members.requests, offices.requests) == (1, 1)
        assert count(sessions, ListingChange) == changes
        assert count(sessions, ListingHistory) == 0


@pytest.mark.parametrize("same_timestamp", [False, True])
def test_incremental_applies_every_kind_of_change(
    sessions: sessionmaker[Session],
    make_trestle_sandbox: Callable[..., RunningTrestle],
    same_timestamp: bool,
) -> None:
    running = make_trestle_sandbox(listings=60, seed=7)
    with trestle_client(running, page_size=10) as client:
        service.first_load(client, sessions, INGEST)
        touched = running.sandbox.advance(
            seconds=600,
            price_changes=12,
            status_changes=6,
            media_changes=5,
            new_listings=4,
            removed_listings=2,
            bad_records=3,
            same_timestamp=same_timestamp,
        )
        listings = service.incremental_sync(client, sessions, INGEST)[0]
        assert listings.inserted >= len(touched.new_listings) - 1  # a new one may be bad
        assert listings.quarantined >= 1
        assert listings.media_refreshed >= 1
        assert listings.history_rows >= len(touched.price_changes) - len(touched.bad_records)
        assert_matches_truth(sessions, running)
        with sessions() as session:
            for key in touched.marked_deleted:
                row = session.get(Listing, key)
                assert row is not None
                assert row.deleted_at is not None

        # The same window again: nothing written.
        history, changes = count(sessions, ListingHistory), count(sessions, ListingChange)
        quarantined = count(sessions, QuarantinedRecord)
        again = service.incremental_sync(client, sessions, INGEST)[0]
        assert (again.inserted, again.updated, again.history_rows) == (0, 0, 0)
        assert count(sessions, ListingHistory) == history
        assert count(sessions, ListingChange) == changes
        assert count(sessions, QuarantinedRecord) == quarantined


def test_census_deletes_what_vanished_and_holds_a_mass_delete(
    sessions: sessionmaker[Session], make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    running = make_trestle_sandbox(listings=80, seed=11)
    with trestle_client(running) as client:
        service.first_load(client, sessions, INGEST)
        touched = running.sandbox.advance(seconds=60, removed_listings=4)
        report = service.census(client, sessions, INGEST)
        assert not report.held
        assert report.deleted == len(touched.vanished)
        # One key-only request answers a census of this size.
        assert report.requests == 1
        service.incremental_sync(client, sessions, INGEST)
        assert_matches_truth(sessions, running, census_done=True)

        touched = running.sandbox.advance(seconds=60, removed_listings=40)
        assert len(touched.vanished) > 5
        held = service.census(client, sessions, INGEST)
        assert held.held
        assert held.deleted == 0
        assert held.held_delete_id is not None
        with sessions() as session:
            row = session.get(HeldDelete, held.held_delete_id)
            assert row is not None
            assert sorted(row.keys) == sorted(touched.vanished)
        deleted = service.approve_held_delete(sessions, held.held_delete_id)
        assert deleted == len(touched.vanished)
        service.incremental_sync(client, sessions, INGEST)
        assert_matches_truth(sessions, running, census_done=True)


def test_faults_leave_the_data_exact(
    sessions: sessionmaker[Session], make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    running = make_trestle_sandbox(listings=60, seed=5)
    running.sandbox.set_faults(
        error_rate=0.15,
        drop_rate=0.05,
        truncate_rate=0.1,
        burst_429=3,
        empty_expand_rate=0.3,
    )
    with trestle_client(running, page_size=10) as client:
        listings = service.first_load(client, sessions, INGEST)[0]
        assert listings.media_refetch_pending == 0
        running.sandbox.advance(seconds=300, price_changes=8, media_changes=6, new_listings=3)
        service.incremental_sync(client, sessions, INGEST)
        running.sandbox.set_faults()
        assert_matches_truth(sessions, running)
    injected = running.sandbox.stats()["faults_injected"]
    assert sum(injected.values()) > 0


def test_reports_carry_quota_and_progress(
    sessions: sessionmaker[Session], trestle_sandbox: RunningTrestle
) -> None:
    events: list[Any] = []
    with trestle_client(trestle_sandbox) as client:
        reports = service.first_load(client, sessions, INGEST, progress=events.append)
    assert reports[0].quota is not None
    assert reports[0].quota.minute_limit is not None
    assert [e.pages for e in events if e.resource == "Property"][:2] == [1, 2]
    rows = {row["metric"]: row["value"] for row in reports[0].as_rows()}
    assert rows["inserted"] == reports[0].inserted
    assert "quota_minute_available" in rows
    assert "Property first_load" in reports[0].summary()
    assert isinstance(reports[0].duration_seconds, float)
