"""The service's walks and cursors against an in-memory store: the same outcome as on SQL.

The source is the real sandbox over HTTP; only the store is a fake. Expected values are the
sandbox's truth and the SQL store's end state for the same run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.memory_store import MemoryUnits
from tests.integration.listings.sandbox_checks import trestle_client
from tests.trestle_fixtures import RunningTrestle
from wonder.db.models import IngestCursor, Listing
from wonder.ingest.gc_pacing import BULK_THRESHOLDS
from wonder.listings import service
from wonder.listings.ports import ListingStore
from wonder.settings import ListingIngestSettings
from wonder.timestamps import parse_timestamp

SETTINGS = ListingIngestSettings(media_batch_size=5)


def live_raw(units: MemoryUnits) -> dict[str, object]:
    return {k: row["raw"] for k, row in units.state.listings.items() if row["deleted_at"] is None}


def test_first_load_then_incremental_on_the_memory_store_matches_the_sql_store(
    sessions: sessionmaker[Session], make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    running = make_trestle_sandbox(listings=40, seed=5)
    memory = MemoryUnits()
    for mode in ("first_load", "incremental"):
        if mode == "incremental":
            running.sandbox.advance(seconds=600, price_changes=5, new_listings=3)
        for units in (memory, sessions):
            with trestle_client(running, 10) as client:
                run = service.first_load if mode == "first_load" else service.incremental
                run(client, units, SETTINGS)

    truth = running.sandbox.truth()
    stored = live_raw(memory)
    assert {k for k in truth if k in stored} == set(stored)
    assert all(stored[key] == truth[key] for key in stored)
    with sessions() as session:
        sql_raw = {row.listing_key: row.raw for row in session.scalars(select(Listing))}
        sql_cursors = {
            row.name: (row.modification_timestamp, row.last_key, row.state)
            for row in session.scalars(select(IngestCursor))
        }
    assert live_raw(memory) == {k: v for k, v in sql_raw.items() if k in stored}
    assert set(sql_raw) == set(memory.state.listings)
    memory_cursors = {
        name: (c.modification_timestamp, c.last_key, c.state)
        for name, c in memory.state.cursors.items()
    }
    assert memory_cursors == sql_cursors
    assert memory.state.commits > 5  # a unit per page, not one for the run
    # The incremental cursor stands at the source's newest (ModificationTimestamp, ListingKey).
    newest = max((parse_timestamp(r["ModificationTimestamp"]), k) for k, r in truth.items())
    assert memory_cursors["Property"][:2] == newest


class ThresholdsSeen(MemoryUnits):
    """Memory units that note the collector's thresholds whenever a page of listings is written."""

    def __init__(self) -> None:
        super().__init__()
        self.thresholds: list[tuple[int, int, int]] = []

    @contextmanager
    def __call__(self) -> Iterator[ListingStore]:
        with super().__call__() as store:
            write = store.upsert_listings

            def noted(rows: Sequence[dict[str, Any]]) -> None:
                self.thresholds.append(gc.get_threshold())
                write(rows)

            store.upsert_listings = noted  # type: ignore[method-assign]
            yield store


@pytest.mark.parametrize("mode", ["first_load", "incremental"])
def test_pages_of_listings_are_written_with_the_bulk_collection_thresholds(
    mode: str, make_trestle_sandbox: Callable[..., RunningTrestle]
) -> None:
    running = make_trestle_sandbox(listings=12, seed=3)
    units = ThresholdsSeen()
    before = gc.get_threshold()
    with trestle_client(running, 5) as client:
        run = service.first_load if mode == "first_load" else service.incremental
        run(client, units, SETTINGS)
    assert len(units.thresholds) >= 3  # 12 listings in pages of 5
    assert set(units.thresholds) == {BULK_THRESHOLDS}
    assert gc.get_threshold() == before
