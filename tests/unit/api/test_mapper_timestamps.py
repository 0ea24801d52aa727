"""mappers.timestamp is exact and agrees with protobuf's own FromDatetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from grpc_server.mappers.common import timestamp

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
