"""Crash at every unit of work of a run, run again: the re-run resumes, nothing lost or twice.

A deterministic kill point: the units of work the service opens are wrapped, and the k-th one
dies (a BaseException, which no ``except Exception`` in the product catches, like a SIGKILL)
after its block ran and before it committed, for every k a clean run opens. Then a normal run
completes the work. Three oracles, none of them the code under test:

- the sandbox's truth (``assert_matches_truth``), and for the census the keys it removed;
- the same run without a crash, on another database: the two end states are equal, change-feed
  rows counted per listing (a page re-applied after a resume would add rows);
- the re-run proves a resume: it fetches only the listings the crashed run had not committed
  (a re-run that ignored the cursor would fetch them all), and a crash before any commit makes
  it fetch everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.sandbox_checks import assert_matches_truth, count, trestle_client
from tests.trestle_fixtures import RunningTrestle
from wonder.db.base import Base
from wonder.db.engine import make_engine, session_factory
from wonder.db.migrate import upgrade
from wonder.db.models import (
    IngestCursor,
    Listing,
    ListingChange,
    ListingHistory,
    ListingMedia,
    Member,
    Office,
)
from wonder.listings import service
from wonder.listings.ports import ListingStore, ListingUnits
from wonder.listings.store import sql_units
from wonder.settings import ListingIngestSettings

LISTINGS = 45
PAGE_SIZE = 10
SETTINGS = ListingIngestSettings(media_batch_size=5)
START = datetime(2026, 6, 1, tzinfo=UTC)


class Killed(BaseException):
    """The process died here (not an Exception: nothing in the product may swallow it)."""


class Units:
    """Units of work that count themselves and can die before the k-th one commits."""

    def __init__(self, inner: ListingUnits, kill_at: int | None = None) -> None:
        self.inner, self.kill_at, self.opened = inner, kill_at, 0

    @contextmanager
    def __call__(self) -> Iterator[ListingStore]:
        self.opened += 1
        number = self.opened
        with self.inner() as store:
            yield store
            if number == self.kill_at:
                raise Killed(f"unit of work {number}")


Run = Callable[..., Any]
RUNS: dict[str, Run] = {
    "first_load": service.first_load,
    "incremental": service.incremental,
    "census": service.census,
}


def run(running: RunningTrestle, units: ListingUnits, mode: str) -> tuple[Any, int]:
    """One run; returns its result and the Property records it fetched."""
    with trestle_client(running, PAGE_SIZE) as client:
        result = RUNS[mode](client, units, SETTINGS)
    if mode == "census":
        return result, result.source_keys
    return result, next(r for r in result if r.resource == "Property").fetched


def wipe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


def end_state(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """What a run leaves, without the run's own times and sequence numbers."""
    with sessions() as session:
        listings = {
            row.listing_key: (row.raw, row.list_price, row.standard_status, row.deleted_at is None)
            for row in session.scalars(select(Listing))
        }
        changes = Counter(session.scalars(select(ListingChange.listing_key)))
        media = sorted(session.execute(select(ListingMedia.media_key, ListingMedia.listing_key)))
        history = sorted(
            session.execute(
                select(ListingHistory.listing_key, ListingHistory.field, ListingHistory.new_value)
            )
        )
        members = sorted(session.scalars(select(Member.member_key)))
        offices = sorted(session.scalars(select(Office.office_key)))
        cursors = {
            row.name: (row.modification_timestamp, row.last_key, row.state)
            for row in session.scalars(select(IngestCursor))
        }
    return {
        "listings": listings,
        "changes per listing": changes,
        "media": media,
        "history": history,
        "members": members,
        "offices": offices,
        "cursors": cursors,
    }


def live_keys(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Listing.listing_key).where(Listing.deleted_at.is_(None))))


def first_load_done(sessions: sessionmaker[Session]) -> bool:
    with sessions() as session:
        cursor = session.get(IngestCursor, "Property:first_load")
        return cursor is not None and bool(cursor.state.get("done"))


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A second database for the uninterrupted run."""
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    engine: Engine = make_engine(url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def prepare(running: RunningTrestle, sessions: sessionmaker[Session], mode: str) -> None:
    """The state a run of ``mode`` starts from, the same every time: the seeded source (a
    frozen clock: reset gives the same records) loaded and then changed, or nothing loaded."""
    running.sandbox.reset()
    wipe(sessions)
    if mode == "first_load":
        return
    run(running, sql_units(sessions), "first_load")
    if mode == "incremental":
        running.sandbox.advance(
            seconds=900, price_changes=6, status_changes=3, media_changes=3, new_listings=4
        )
    else:
        running.sandbox.advance(seconds=60, removed_listings=2)


@pytest.mark.parametrize("mode", ["first_load", "incremental", "census"])
def test_a_crash_at_any_unit_of_work_is_resumed_without_loss_or_duplicates(
    mode: str,
    sessions: sessionmaker[Session],
    reference: sessionmaker[Session],
    make_trestle_sandbox: Callable[..., RunningTrestle],
) -> None:
    source = make_trestle_sandbox(listings=LISTINGS, seed=11, start_time=START, frozen_clock=True)
    prepare(source, reference, mode)
    clean = Units(sql_units(reference))
    _, clean_fetched = run(source, clean, mode)
    expected = end_state(reference)
    assert clean.opened >= 2  # a census: its decision, then the planner statistics

    for kill_at in range(1, clean.opened + 1):
        prepare(source, sessions, mode)
        committed_before = count(sessions, Listing)
        with pytest.raises(Killed):
            run(source, Units(sql_units(sessions), kill_at), mode)
        committed = count(sessions, Listing)
        listings_done = first_load_done(sessions)

        _, refetched = run(source, sql_units(sessions), mode)

        where = f"{mode}: killed at unit of work {kill_at} of {clean.opened}"
        assert end_state(sessions) == expected, where
        if mode == "census":
            # Exactly the listings the source no longer has are deleted.
            assert live_keys(sessions) == set(source.sandbox.truth()), where
        else:
            assert_matches_truth(sessions, source)
        if mode == "first_load" and not listings_done:
            # The re-run fetched what the crashed run had not committed, no more.
            assert refetched == LISTINGS - (committed - committed_before), where
        elif mode == "first_load":
            # The listing walk had completed: a first load after a complete one starts anew.
            assert refetched == LISTINGS, where
        assert refetched <= clean_fetched, where
