"""A restamped message (a soft delete, a media-only refresh) changes only what that write
changes: its change cursor, update time and delete time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from wonder.listings.read_repository import ListingRecord
from wonder.listings.rendered import rendered_listing, restamped
from wonder.v1 import listing_pb2

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def row(**values: object) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(ListingRecord._fields)
    base.update(
        listing_key="K1",
        modification_timestamp=NOW,
        first_seen_at=NOW,
        updated_at=NOW,
        change_seq=7,
    )
    base.update(values)
    return base


def test_restamping_moves_the_cursor_and_times_and_nothing_else() -> None:
    listing = row(city="Austin", list_price=Decimal("5.00"))
    before = listing_pb2.Listing.FromString(rendered_listing(listing)["api_basic"])
    later = datetime(2026, 12, 4, tzinfo=UTC)
    after = listing_pb2.Listing.FromString(
        restamped(before.SerializeToString(), change_seq=9, updated_at=later, deleted_at=later)
    )
    assert (after.change_cursor, after.update_time.ToDatetime(UTC)) == (9, later)
    assert after.delete_time.ToDatetime(UTC) == later
    for field in ("change_cursor", "update_time", "delete_time"):
        after.ClearField(field)
        before.ClearField(field)
    assert after == before
