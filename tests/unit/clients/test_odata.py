import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from wonder.clients.odata import (
    ODataQuery,
    build_query,
    keyset_filter,
    quote_string,
)

T = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)


def test_quote_string_doubles_single_quotes():
    assert quote_string("abc") == "'abc'"
    assert quote_string("O'Hara's") == "'O''Hara''s'"
    assert quote_string("") == "''"


def test_keyset_filter_with_position():
    assert keyset_filter("ModificationTimestamp", "ListingKey", T, "K'1") == (
        "(ModificationTimestamp gt 2026-01-31T12:00:00.123Z) or "
        "(ModificationTimestamp eq 2026-01-31T12:00:00.123Z and ListingKey gt 'K''1')"
    )


def test_keyset_filter_timestamp_only_and_since():
    assert keyset_filter("M", "K", T, None) == "M gt 2026-01-31T12:00:00.123Z"
    assert keyset_filter("M", "K", None, None, since_inclusive=T) == (
        "M ge 2026-01-31T12:00:00.123Z"
    )


def test_keyset_filter_later_of_position_and_since_wins():
    later = T + timedelta(minutes=5)
    assert keyset_filter("M", "K", T, "A", since_inclusive=later) == (
        "M ge 2026-01-31T12:05:00.123Z"
    )
    earlier = T - timedelta(minutes=5)
    assert keyset_filter("M", "K", T, "A", since_inclusive=earlier).startswith("(M gt ")


def test_keyset_filter_rejects_incomplete_positions():
    with pytest.raises(ValueError, match="after_key needs"):
        keyset_filter("M", "K", None, "A")
    with pytest.raises(ValueError, match="needs a position"):
        keyset_filter("M", "K", None, None)


def test_build_query_keeps_odata_readable_and_encodes_the_rest():
    query = build_query({"$filter": "City eq 'A&B' and X gt 1+1", "$top": "10"})
    assert query == "$filter=City%20eq%20'A%26B'%20and%20X%20gt%201%2B1&$top=10"


def test_odata_query_sends_only_what_was_asked_in_a_stable_order():
    assert ODataQuery().to_params() == {}
    assert ODataQuery().to_params(default_top=1000) == {"$top": "1000"}
    query = ODataQuery(
        count=True,
        expand="Media",
        skip=0,
        top=5,
        orderby="ListingKey",
        filter="City eq 'A'",
        select=["ListingKey", "City"],
    )
    assert list(query.to_params(default_top=1000).items()) == [
        ("$select", "ListingKey,City"),
        ("$filter", "City eq 'A'"),
        ("$orderby", "ListingKey"),
        ("$top", "5"),
        ("$skip", "0"),
        ("$expand", "Media"),
        ("$count", "true"),
    ]


def test_odata_query_is_a_hashable_value():
    a = ODataQuery(select=["ListingKey"], top=1)
    b = ODataQuery(select=("ListingKey",), top=1)
    assert a == b
    assert hash(a) == hash(b)
    assert a.select == ("ListingKey",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.top = 2  # type: ignore[misc]
    assert dataclasses.replace(a, filter="X eq 1").to_params()["$filter"] == "X eq 1"


def test_odata_query_refuses_nonsense():
    with pytest.raises(TypeError, match="not a str"):
        ODataQuery(select="ListingKey")
    with pytest.raises(ValueError, match="top"):
        ODataQuery(top=-1)
    with pytest.raises(ValueError, match="skip"):
        ODataQuery(skip=-5)
