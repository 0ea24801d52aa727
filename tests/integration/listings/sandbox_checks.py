"""Shared by the sandbox tests: a client on virtual time and the sandbox-truth oracle.

The oracle compares the database with what the sandbox meant to serve, read from its generator
state (``TrestleSandbox.intended``), never with our normalizer's reading of what it served.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.trestle_fixtures import RunningTrestle, moment
from wonder.clients.trestle import TrestleClient
from wonder.db.models import Listing, ListingChange, ListingMedia, QuarantinedRecord
from wonder.sandbox.trestle.intended import Corruption
from wonder.settings import TrestleSettings

PROPERTY = "Property"  # the quarantine's resource name for listings


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


# What the sandbox meant to serve (``IntendedListing`` field) → the ``Listing`` column it must
# land in. Written here, not derived from the ingest's normalizer: the oracle must not share the
# code it checks.
LISTING_COLUMNS: dict[str, str] = {
    "listing_id": "listing_id",
    "status": "standard_status",
    "mls_status": "mls_status",
    "property_type": "property_type",
    "sub_type": "property_sub_type",
    "price": "list_price",
    "original_price": "original_list_price",
    "close_price": "close_price",
    "bedrooms": "bedrooms_total",
    "bathrooms": "bathrooms_total",
    "living_area": "living_area",
    "lot_acres": "lot_size_acres",
    "year_built": "year_built",
    "address": "unparsed_address",
    "street_number": "street_number",
    "street_name": "street_name",
    "unit": "unit_number",
    "city": "city",
    "state": "state_or_province",
    "postal_code": "postal_code",
    "country": "country",
    "latitude": "latitude",
    "longitude": "longitude",
    "remarks": "public_remarks",
    "agent_key": "list_agent_key",
    "office_key": "list_office_key",
    "contract_date": "listing_contract_date",
    "close_date": "close_date",
    "photos_count": "photos_count",
    "photos_changed": "photos_change_timestamp",
    "modified": "modification_timestamp",
}
# ``IntendedMedia`` field → ``ListingMedia`` column.
MEDIA_COLUMNS: dict[str, str] = {
    "order": "order",
    "url": "media_url",
    "category": "media_category",
    "mime_type": "mime_type",
    "description": "short_description",
    "width": "image_width",
    "height": "image_height",
    "modification_timestamp": "modification_timestamp",
}


def _same(expected: Any, actual: Any) -> bool:
    """Equal, and of the type the column promises (a price is a Decimal, not a float)."""
    if isinstance(expected, Decimal):
        return isinstance(actual, Decimal) and actual == expected
    if isinstance(expected, datetime):
        return isinstance(actual, datetime) and actual.tzinfo is not None and actual == expected
    return bool(actual == expected)


def quarantine_identity(row: QuarantinedRecord) -> tuple[str | None, Any, datetime | None]:
    """A quarantined Property by what the source sent: (its key, ListingId, timestamp)."""
    stamp = row.raw.get("ModificationTimestamp")
    return row.record_key, row.raw.get("ListingId"), moment(stamp) if stamp else None


def bad_identity(bad: Corruption) -> tuple[str | None, Any, datetime | None]:
    """The identity a corrupted record is quarantined under: one without its ListingKey is
    kept without a key."""
    key = None if bad.field == "ListingKey" else bad.listing_key
    return key, bad.listing_id, bad.modification_timestamp


def assert_matches_truth(
    sessions: sessionmaker[Session], running: RunningTrestle, *, census_done: bool = False
) -> None:
    """The database holds what the sandbox meant to serve (``TrestleSandbox.intended``): every
    column of every listing and its media, deletes, and exactly the records it corrupted in
    the quarantine. ``census_done``: listings that vanished are deleted too."""
    intended = running.sandbox.intended(running.base_url)
    served = running.sandbox.truth()
    with sessions() as session:
        stored = {row.listing_key: row for row in session.scalars(select(Listing))}
        quarantined = list(
            session.scalars(select(QuarantinedRecord).where(QuarantinedRecord.resource == PROPERTY))
        )
        media: dict[str, dict[str, ListingMedia]] = defaultdict(dict)
        for item in session.scalars(select(ListingMedia)):
            media[item.listing_key][item.media_key] = item
    live = intended.live()
    assert live, "the sandbox should hold listings"
    for key, listing in live.items():
        row = stored.get(key)
        if listing.corruption is not None:
            # The bad version is not stored over the good one before it (checked below: it is
            # in the quarantine).
            stored_bad = row is not None and row.modification_timestamp >= listing.modified
            assert not stored_bad, f"{key}: stored its corrupted version ({listing.corruption})"
            continue
        assert row is not None, f"{key} was not stored"
        assert row.raw == served[key], key  # the record as served, Media left out
        for field, column in LISTING_COLUMNS.items():
            expected, actual = getattr(listing, field), getattr(row, column)
            assert _same(expected, actual), (key, column, expected, actual)
        assert (row.deleted_at is not None) == listing.deleted, key
        if not listing.deleted:
            held = media.get(key, {})
            assert set(held) == {m.media_key for m in listing.media}, key
            for photo in listing.media:
                for field, column in MEDIA_COLUMNS.items():
                    expected, actual = getattr(photo, field), getattr(held[photo.media_key], column)
                    assert _same(expected, actual), (key, photo.media_key, column, expected, actual)
            assert row.media_synced_timestamp == listing.photos_changed, key
    if census_done:
        for key, listing in intended.listings.items():
            if listing.vanished and key in stored:
                assert stored[key].deleted_at is not None, f"{key} vanished but is live"
    # Exactly the corrupted records are quarantined, each for its field (a version may be kept
    # twice when its two reads differ in their expanded Media: the payloads differ).
    reasons = {quarantine_identity(row): row.reason for row in quarantined}
    expected_bad = {bad_identity(bad) for bad in intended.corrupted}
    assert set(reasons) == expected_bad, (
        f"quarantined but not corrupted: {set(reasons) - expected_bad}; "
        f"corrupted but not quarantined: {expected_bad - set(reasons)}"
    )
    for bad in intended.corrupted:
        reason = reasons[bad_identity(bad)]
        assert bad.field in reason, (bad, reason)
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
