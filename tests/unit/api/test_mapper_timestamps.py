"""mappers.timestamp is exact and agrees with FromDatetime; the in-place fills agree too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from wonder.proto_values import (
    calendar_date,
    latlng,
    money,
    set_date,
    set_latlng,
    set_money,
    set_timestamp,
    timestamp,
)
from wonder.v1 import listing_pb2

CASES = [
    datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    datetime(2024, 5, 1, 12, 0, 1, 123456, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    # Before the epoch: seconds go negative, nanos stay in [0, 1e9) as Timestamp requires.
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1901, 3, 4, 5, 6, 7, 890, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    # Another offset: the same instant as its UTC value.
    datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2, minutes=30))),
    # Naive: taken as UTC, as FromDatetime does.
    datetime(2024, 5, 1, 12, 0, 0, 5),
]


@pytest.mark.parametrize("value", CASES, ids=str)
def test_timestamp_matches_from_datetime(value: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(value)
    got = timestamp(value)
    assert got == expected
    assert got is not None
    assert 0 <= got.nanos < 1_000_000_000


def test_no_value_is_no_timestamp() -> None:
    assert timestamp(None) is None


@pytest.mark.parametrize("value", CASES, ids=str)
def test_filling_in_place_is_the_same_timestamp(value: datetime) -> None:
    """set_timestamp (the listing mappers' in-place fill) gives what timestamp() builds, and
    makes the field present even at the epoch, where every part is zero."""
    message = listing_pb2.Listing()
    set_timestamp(message.modification_time, value)
    assert message.HasField("modification_time")
    assert message.modification_time == timestamp(value)


@pytest.mark.parametrize(
    "amount", [Decimal("0"), Decimal("1250000.5"), Decimal("-3.000000001"), Decimal("0.25")]
)
def test_filling_money_and_dates_in_place_is_the_same(amount: Decimal) -> None:
    message = listing_pb2.Listing()
    set_money(message.list_price, amount)
    set_date(message.close_date, date(1970, 1, 1))
    set_latlng(message.location, 0.0, 0.0)
    assert message.HasField("list_price")
    assert message.list_price == money(amount)
    assert message.HasField("close_date")
    assert message.close_date == calendar_date(date(1970, 1, 1))
    assert message.HasField("location")
    assert message.location == latlng(0.0, 0.0)


def test_nothing_to_fill_leaves_the_fields_unset() -> None:
    message = listing_pb2.Listing()
    set_timestamp(message.modification_time, None)
    set_money(message.list_price, None)
    set_date(message.close_date, None)
    set_latlng(message.location, 1.0, None)
    for field in ("modification_time", "list_price", "close_date", "location"):
        assert not message.HasField(field)
