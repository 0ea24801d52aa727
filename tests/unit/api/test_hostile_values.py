"""Filters and decoded page-token positions refuse what the database cannot hold (pure)."""

from __future__ import annotations

import pytest

from wonder.aip.fields import FieldSpec, FieldType
from wonder.aip.filtering import MAX_FILTER_DEPTH, FilterError, FilterExpr
from wonder.aip.filtering import parse_filter as parse_any_filter
from wonder.aip.names import parse_resource_name
from wonder.aip.ordering import OrderKey, position_from_json
from wonder.aip.ordering import parse_order_by as parse_any_order_by
from wonder.errors import InvalidArgument, echo
from wonder.listings.catalogue import LIST_PRICE, LISTINGS, MODIFICATION_TIME


def parse_filter(text: str) -> FilterExpr | None:
    return parse_any_filter(text, LISTINGS)


def parse_order_by(text: str) -> tuple[OrderKey, ...]:
    return parse_any_order_by(text, LISTINGS)


COUNT = FieldSpec("id", "id", FieldType.INTEGER, nullable=False)
AREA = FieldSpec("living_area", "living_area", FieldType.FLOAT)
CITY = FieldSpec("city", "city", FieldType.STRING)


def test_nesting_counts_nots_and_parentheses() -> None:
    assert parse_filter("NOT " * MAX_FILTER_DEPTH + "bedrooms_total = 3") is not None
    for text in (
        "NOT " * (MAX_FILTER_DEPTH + 1) + "bedrooms_total = 3",
        "(" * (MAX_FILTER_DEPTH + 1) + "city = 'x'" + ")" * (MAX_FILTER_DEPTH + 1),
        "NOT (" * 9 + "city = 'x'" + ")" * 9,
    ):
        with pytest.raises(FilterError, match="nested deeper"):
            parse_filter(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('modification_time >= "0001-01-01T00:00:00+00:01"', "RFC 3339"),
        ('update_time < "9999-12-31T23:59:59-00:01"', "RFC 3339"),
        ("list_price > 1000000000000", "below"),
        ("list_price > -1000000000000", "below"),
        ("living_area > 1e999", "finite"),
        ('city = "a\x00b"', "NUL"),
    ],
)
def test_literals_out_of_the_columns_range_are_filter_errors(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text)


def test_the_largest_amount_a_money_column_holds_is_accepted() -> None:
    assert parse_filter("list_price <= 999999999999.99") is not None


@pytest.mark.parametrize(
    ("fields", "raw"),
    [
        ([AREA], [float("nan")]),
        ([AREA], [float("inf")]),
        ([COUNT], [10**30]),
        ([COUNT], [True]),
        ([LIST_PRICE], ["NaN"]),
        ([LIST_PRICE], ["Infinity"]),
        ([LIST_PRICE], ["1e30"]),
        ([MODIFICATION_TIME], ["9999-12-31T23:59:59-00:01"]),
        ([MODIFICATION_TIME], ["not a time"]),
        ([CITY], ["a\x00b"]),
    ],
)
def test_forged_positions_are_refused(fields: list[FieldSpec], raw: list[object]) -> None:
    with pytest.raises(ValueError, match="bad"):
        position_from_json(fields, raw)  # type: ignore[arg-type]


def test_echoed_input_is_cut() -> None:
    assert echo("short") == "'short'"
    long = echo("x" * 7000)
    assert len(long) < 120
    assert "7000 characters" in long
    with pytest.raises(InvalidArgument) as caught:
        parse_resource_name("listings/" + "k" * 7000, "listings")
    assert len(caught.value.description) < 200
    with pytest.raises(InvalidArgument, match="longer than"):
        parse_order_by("list_price, " * 100)
