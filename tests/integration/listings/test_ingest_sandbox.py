"""The ingest end to end: Trestle sandbox over loopback HTTP → TrestleClient → service → database.

The oracle is the sandbox's own truth (every live listing's current record); the database must
match it exactly after each run, whatever the faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.sandbox_checks import (
    assert_matches_truth,
    count,
    trestle_client,
)
from tests.trestle_fixtures import RunningTrestle
from wonder.db.models import (
    HeldDelete,
    Listing,
    ListingChange,
    ListingHistory,
    Member,
    Office,
    QuarantinedRecord,
)
from wonder.listings import service
from wonder.settings import ListingIngestSettings

INGEST = ListingIngestSettings(mass_delete_min_rows=5)


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
            listings, members, offices = service.incremental(client, sessions, INGEST)
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
        listings = service.incremental(client, sessions, INGEST)[0]
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
        again = service.incremental(client, sessions, INGEST)[0]
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
        service.incremental(client, sessions, INGEST)
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
        service.incremental(client, sessions, INGEST)
        assert_matches_truth(sessions, running, census_done=True)


def test_faults_leave_the_data_exact(
    sessions: sessionmaker[Session], make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    running = make_trestle_sandbox(listings=60, seed=5)
    running.sandbox.set_faults(
        error_rate=0.15,
        drop_rate=0.05,
        truncate_rate=0.25,
        burst_429=3,
        empty_expand_rate=0.3,
    )
    with trestle_client(running, page_size=10) as client:
        listings = service.first_load(client, sessions, INGEST)[0]
        assert listings.media_refetch_pending == 0
        # Faults and malformed records together: the bad ones are quarantined, the rest exact.
        running.sandbox.advance(
            seconds=300, price_changes=8, media_changes=6, new_listings=3, bad_records=2
        )
        service.incremental(client, sessions, INGEST)
        running.sandbox.set_faults()
        assert_matches_truth(sessions, running)
    injected = running.sandbox.stats()["faults_injected"]
    # Every kind configured above really happened (not just the forced 429s).
    for kind in ("drop", "burst_429", "truncate", "empty_expand"):
        assert injected.get(kind, 0) > 0, (kind, injected)
    assert any(name.startswith("error_") for name in injected), injected


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
    # The count comes from the sandbox's truth (a fresh database inserts every live listing).
    assert rows["inserted"] == len(trestle_sandbox.sandbox.truth())
    assert rows["quota_minute_available"] == reports[0].quota.minute_available
    assert "Property first_load" in reports[0].summary()
    assert reports[0].duration_seconds > 0
