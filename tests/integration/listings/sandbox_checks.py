"""Shared by the sandbox tests: a client on virtual time and the sandbox-truth oracle."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.trestle_fixtures import RunningTrestle
from wonder.clients.odata import ODataQuery
from wonder.clients.trestle import TrestleClient
from wonder.db.models import Listing, ListingChange, ListingMedia, QuarantinedRecord
from wonder.listings.normalize import NormalizedListing, normalize_property
from wonder.settings import TrestleSettings


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
        for page in client.pages("Media", ODataQuery(orderby="ResourceRecordKey,Order")):
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
