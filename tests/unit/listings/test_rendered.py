"""The stored message says what the row's columns will hold, amounts included.

The ``Money`` column rounds to the cent when it binds a value; COPY would leave that to
PostgreSQL, which rounds half away from zero. ``store_cents`` rounds the row first, as the
column type does, so the COPYed row, the upserted row and the rendered message agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql

from wonder.db.types import Money
from wonder.listings.read_repository import ListingRecord
from wonder.listings.rendered import rendered_listing, restamped, store_cents
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


@pytest.mark.parametrize("amount", ["100.005", "100.015", "-3.125", "12", "0.004", "99.999"])
def test_amounts_are_stored_as_the_money_column_binds_them(amount: str) -> None:
    listing = row(list_price=Decimal(amount), close_price=Decimal(amount))
    store_cents(listing)
    column = Money().process_bind_param(Decimal(amount), postgresql.dialect())  # type: ignore[no-untyped-call]
    assert listing["list_price"] == column
    assert listing["close_price"] == column
    message = listing_pb2.Listing.FromString(rendered_listing(listing)["api_basic"])
    assert Decimal(message.list_price.units) + Decimal(message.list_price.nanos) / 10**9 == column


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
