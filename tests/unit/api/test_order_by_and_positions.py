"""order_by parsing (AIP-132), keyset positions, resource names and page sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from wonder.aip.fields import SortValue
from wonder.aip.names import parse_resource_name
from wonder.aip.ordering import (
    OrderKey,
    canonical_order_by,
    position_from_json,
    position_to_json,
)
from wonder.aip.ordering import parse_order_by as parse_any_order_by
from wonder.aip.paging import resolve_page_size
from wonder.errors import InvalidArgument
from wonder.listings.catalogue import HISTORY_POSITION, LISTING_KEY, LISTINGS, MEDIA_POSITION


def parse_order_by(text: str) -> tuple[OrderKey, ...]:
    return parse_any_order_by(text, LISTINGS)


def names(text: str) -> list[tuple[str, bool]]:
    return [(key.field.name, key.descending) for key in parse_order_by(text)]


def test_default_order_is_listing_key() -> None:
    assert names("") == [("listing_key", False)]


def test_fields_directions_and_tie_break() -> None:
    assert names("list_price desc, modification_time") == [
        ("list_price", True),
        ("modification_time", False),
        ("listing_key", False),
    ]
    assert names("  year_built   asc ,city desc") == [
        ("year_built", False),
        ("city", True),
        ("listing_key", False),
    ]


def test_explicit_listing_key_is_not_repeated() -> None:
    assert names("listing_key desc") == [("listing_key", True)]


def test_alias_and_canonical_form() -> None:
    order = parse_order_by("modification_timestamp desc")
    assert canonical_order_by(order) == "modification_time desc, listing_key"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("price desc", "unknown sort field 'price'"),
        ("standard_status", "unknown sort field"),
        ("list_price descending", "expected '<field>' or '<field> desc'"),
        ("list_price desc extra", "expected '<field>' or '<field> desc'"),
        ("list_price,", "empty sort field"),
        ("city, city desc", "appears twice"),
    ],
)
def test_order_by_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_order_by(text)
    assert caught.value.field == "order_by"
    assert message in caught.value.description


def test_positions_round_trip_exactly() -> None:
    order = parse_order_by("list_price desc, modification_time, living_area, year_built")
    fields = [key.field for key in order]
    values: list[SortValue] = [
        Decimal("1234567.89"),
        datetime(2024, 5, 1, 1, 2, 3, 456789, tzinfo=UTC),
        1234.5,
        None,
        "K1",
    ]
    raw = position_to_json(fields, values)
    assert raw == ["1234567.89", "2024-05-01T01:02:03.456789+00:00", 1234.5, None, "K1"]
    assert position_from_json(fields, raw) == values


def test_sub_collection_positions_round_trip() -> None:
    assert position_from_json(MEDIA_POSITION, position_to_json(MEDIA_POSITION, [None, "M1"])) == [
        None,
        "M1",
    ]
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    assert position_from_json(HISTORY_POSITION, position_to_json(HISTORY_POSITION, [stamp, 7])) == [
        stamp,
        7,
    ]


@pytest.mark.parametrize(
    "raw",
    [
        [],  # wrong length
        [None],  # listing_key is never null
        [5],  # wrong type
        [True],
    ],
)
def test_positions_of_the_wrong_shape_are_rejected(raw: list[object]) -> None:
    with pytest.raises(ValueError, match=r"position|null|bad value"):
        position_from_json([LISTING_KEY], raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "key"),
    [("listings/ABC123", "ABC123"), ("listings/a-b_c.d", "a-b_c.d")],
)
def test_resource_names(name: str, key: str) -> None:
    assert parse_resource_name(name, "listings") == key


@pytest.mark.parametrize(
    "name",
    ["", "listings/", "ABC", "agents/ABC", "listings/A/B", "listings/" + "x" * 65, "listings/a\nb"],
)
def test_bad_resource_names(name: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_resource_name(name, "listings", field="names[2]")
    assert caught.value.field == "names[2]"


def test_page_sizes() -> None:
    assert resolve_page_size(0, 50, 1000) == 50
    assert resolve_page_size(7, 50, 1000) == 7
    assert resolve_page_size(5000, 50, 1000) == 1000
    with pytest.raises(InvalidArgument, match="must not be negative"):
        resolve_page_size(-1, 50, 1000)
