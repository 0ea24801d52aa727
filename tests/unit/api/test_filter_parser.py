"""The AIP-160 filter subset: grammar, precedence, typed values, and errors with positions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from wonder.aip.filtering import (
    MAX_FILTER_DEPTH,
    And,
    CompareOp,
    Comparison,
    FilterError,
    FilterExpr,
    Not,
    Or,
    canonical_filter,
)
from wonder.aip.filtering import parse_filter as parse_any_filter
from wonder.errors import InvalidArgument
from wonder.listings.catalogue import LISTINGS, Within
from wonder.timestamps import parse_timestamp_or_none as parse_rfc3339


def parse_filter(text: str) -> FilterExpr | None:
    return parse_any_filter(text, LISTINGS)


def comparison(expr: object) -> Comparison:
    assert isinstance(expr, Comparison)
    return expr


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_filter_matches_everything(text: str) -> None:
    assert parse_filter(text) is None


@pytest.mark.parametrize(
    ("text", "field", "op", "value"),
    [
        ('standard_status = "Active"', "standard_status", CompareOp.EQ, "Active"),
        ("standard_status = Active", "standard_status", CompareOp.EQ, "Active"),
        ("city != 'San Antonio'", "city", CompareOp.NE, "San Antonio"),
        ('property_sub_type = "Say \\"hi\\""', "property_sub_type", CompareOp.EQ, 'Say "hi"'),
        ("postal_code = 78701", "postal_code", CompareOp.EQ, "78701"),
        ("list_price <= 750000", "list_price", CompareOp.LE, Decimal("750000")),
        ("list_price > 1250000.50", "list_price", CompareOp.GT, Decimal("1250000.50")),
        ("bedrooms_total >= 3", "bedrooms_total", CompareOp.GE, 3),
        ("bathrooms_total < 2", "bathrooms_total", CompareOp.LT, 2),
        ("living_area > 1500.5", "living_area", CompareOp.GT, 1500.5),
        ("year_built=1987", "year_built", CompareOp.EQ, 1987),
        ('list_agent_key = "M-9"', "list_agent_key", CompareOp.EQ, "M-9"),
        (
            'modification_time >= "2024-05-01T00:00:00Z"',
            "modification_time",
            CompareOp.GE,
            datetime(2024, 5, 1, tzinfo=UTC),
        ),
        (
            'modification_timestamp < "2024-05-01T02:30:00+02:00"',
            "modification_time",
            CompareOp.LT,
            datetime(2024, 5, 1, 0, 30, tzinfo=UTC),
        ),
        (
            'update_time > "2024-05-01T00:00:00.123456789Z"',
            "update_time",
            CompareOp.GT,
            datetime(2024, 5, 1, 0, 0, 0, 123456, tzinfo=UTC),
        ),
    ],
)
def test_comparisons_are_typed(text: str, field: str, op: CompareOp, value: object) -> None:
    parsed = comparison(parse_filter(text))
    assert (parsed.field.name, parsed.op, parsed.value) == (field, op, value)
    assert type(parsed.value) is type(value)


def test_or_binds_tighter_than_and_as_in_aip_160() -> None:
    expr = parse_filter("city = Austin AND bedrooms_total = 3 OR bedrooms_total = 4")
    assert isinstance(expr, And)
    assert isinstance(expr.operands[1], Or)


def test_parentheses_and_not() -> None:
    expr = parse_filter("NOT (city = Austin OR city = Dallas) AND NOT year_built < 1950")
    assert isinstance(expr, And)
    first, second = expr.operands
    assert isinstance(first, Not)
    assert isinstance(first.operand, Or)
    assert isinstance(second, Not)
    assert isinstance(second.operand, Comparison)


def test_bounding_box_functions() -> None:
    assert parse_filter("within(30.2, -97.8, 30.3, -97.7)") == Within(30.2, -97.8, 30.3, -97.7)
    assert parse_filter("bbox(-10, 170, 10, -170)") == Within(-10, 170, 10, -170)


def test_canonical_form_ignores_spacing_and_aliases() -> None:
    a = parse_filter('modification_timestamp>="2024-05-01T00:00:00Z"  AND city=Austin')
    b = parse_filter('modification_time >= "2024-05-01T02:00:00+02:00" AND city = "Austin"')
    assert canonical_filter(a) == canonical_filter(b)
    assert canonical_filter(parse_filter("city = Austin")) != canonical_filter(
        parse_filter("city = Dallas")
    )


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("colour = red", "unknown field 'colour'", 1),
        ("city = Austin AND price > 3", "unknown field 'price'", 19),
        ("bedrooms_total = three", "takes an integer", 18),
        ("bedrooms_total = 2.5", "takes an integer", 18),
        ("list_price < 100.005", "at most two decimals", 14),
        ('list_price < "cheap"', "USD amount", 14),
        ("living_area > big", "takes a number", 15),
        ("modification_time > 2024", "RFC 3339", 21),
        ('modification_time > "2024-05-01"', "RFC 3339", 21),
        ('update_time > "2024-05-01T00:00:00"', "RFC 3339", 15),
        ("city = Austin and year_built = 1990", "keywords are upper case", 15),
        ("city = Austin year_built = 1990", "expected AND or OR", 15),
        ("city Austin", "expected a comparison operator", 6),
        ("city =", "found end of filter", 7),
        ("(city = Austin", "expected ')'", 15),
        ("city = Austin)", "unbalanced ')'", 14),
        ('city = "Austin', "unterminated string", 8),
        ("city = Austin & year_built = 1990", "unexpected character '&'", 15),
        ("AND city = Austin", "expected a field name", 1),
        ("within(1, 2, 3)", "takes 4 arguments", 1),
        ("within(1, 2, 3, x)", "takes 4 numbers", 17),
        ("within(50, 0, 40, 10)", "south <= north", 1),
        ("within(0, 0, 10, 200)", "longitudes", 1),
        ("near(1, 2)", "unknown function 'near'", 1),
        ("year_built = 12abc", "malformed number", 14),
    ],
)
def test_errors_name_the_problem_and_position(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.field == "filter"
    assert message in caught.value.description
    assert caught.value.position == position
    assert f"at character {position}" in caught.value.description


def test_nesting_and_length_are_bounded() -> None:
    deep = "(" * (MAX_FILTER_DEPTH + 1) + "city = Austin" + ")" * (MAX_FILTER_DEPTH + 1)
    with pytest.raises(FilterError, match="nested deeper"):
        parse_filter(deep)
    with pytest.raises(InvalidArgument, match="longer than"):
        parse_filter("city = Austin AND " * 200)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01t10:00:00z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00-05:00", datetime(2024, 5, 1, 15, tzinfo=UTC)),
        ("2024-02-30T10:00:00Z", None),
        ("2024-05-01 10:00", None),
    ],
)
def test_rfc3339(text: str, expected: datetime | None) -> None:
    assert parse_rfc3339(text) == expected
