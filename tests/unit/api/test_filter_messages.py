"""AIP-160 filters: the exact error a caller reads, the nesting bound, the canonical form.

An error's description is API: the caller sees it in the gRPC status (with its 1-based
position). The canonical form is what page tokens are bound to: a change between releases
invalidates every token in flight, and two different filters must never share one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wonder.aip.fields import Catalogue, FieldSpec, FieldType, fields
from wonder.aip.filtering import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_LENGTH,
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
from wonder.listings.catalogue import LISTINGS

CITY = LISTINGS.filter_fields["city"]
YEAR_BUILT = LISTINGS.filter_fields["year_built"]


def parse_filter(text: str) -> FilterExpr | None:
    return parse_any_filter(text, LISTINGS)


def error_of(text: str, catalogue: Catalogue = LISTINGS) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse_any_filter(text, catalogue)
    assert caught.value.field == "filter"
    return caught.value


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("city = = 3", "field 'city' takes a value, found '=' (at character 8)"),
        ("city = Austin (", "expected AND or OR, found '(' (at character 15)"),
        (
            "city = Austin year_built = 1990",
            "expected AND or OR, found 'year_built' (at character 15)",
        ),
        (
            "city = Austin and year_built = 1990",
            "expected AND or OR, found 'and' (keywords are upper case) (at character 15)",
        ),
        ("city = Austin)", "unbalanced ')' (at character 14)"),
        ('city = "Austin', "unterminated string (at character 8)"),
        ('city = "Austin\\', "unterminated string (at character 8)"),
        ("year_built = 12abc", "malformed number '12a' (at character 14)"),
        ("year_built = 12_000", "malformed number '12_' (at character 14)"),
        ("city =", "field 'city' takes a value, found end of filter (at character 7)"),
        (
            "bedrooms_total = three",
            "field 'bedrooms_total' takes an integer, found 'three' (at character 18)",
        ),
        (
            "bedrooms_total = 2147483648",
            "field 'bedrooms_total' takes an integer within 32 bits, found '2147483648' "
            "(at character 18)",
        ),
        (
            'city = "a\x00b"',
            "field 'city' takes text without NUL characters, found 'a\x00b' (at character 8)",
        ),
        (
            'list_price < "cheap"',
            "field 'list_price' takes a USD amount with at most two decimals, e.g. 525000 or "
            "525000.50, found 'cheap' (at character 14)",
        ),
        (
            "list_price > 1000000000000",
            "field 'list_price' takes an amount below 1,000,000,000,000 in absolute value, "
            "found '1000000000000' (at character 14)",
        ),
        ("living_area > big", "field 'living_area' takes a number, found 'big' (at character 15)"),
        (
            "living_area > 1e999",
            "field 'living_area' takes a finite number, found '1e999' (at character 15)",
        ),
        (
            "modification_timestamp > 2024",
            "field 'modification_time' takes an RFC 3339 timestamp in double quotes, "
            "e.g. \"2024-05-01T00:00:00Z\", found '2024' (at character 26)",
        ),
        (
            'modification_time > "2024-05-01"',
            "field 'modification_time' takes an RFC 3339 timestamp, "
            "e.g. \"2024-05-01T00:00:00Z\", found '2024-05-01' (at character 21)",
        ),
        (
            "near(1, 2)",
            "unknown function 'near' (supported: bbox, within) (at character 1)",
        ),
        ("within(1 2, 3, 4)", "expected ',' or ')', found '2' (at character 10)"),
        ("within(1, 2, 3, x)", "within() takes 4 numbers, found 'x' (at character 17)"),
        (
            "within(1, 2, 3)",
            "within() takes 4 arguments (south, west, north, east), got 3 (at character 1)",
        ),
        (
            "bbox(50, 0, 40, 10)",
            "bbox(): latitudes must satisfy -90 <= south <= north <= 90 (at character 1)",
        ),
    ],
)
def test_each_error_reads_exactly(text: str, description: str) -> None:
    assert error_of(text).description == description


SMALL = Catalogue(
    filter_fields=fields(
        FieldSpec("year_built", "year_built", FieldType.INTEGER),
        FieldSpec("city", "city", FieldType.STRING),
    ),
    order_fields={},
    tiebreak=FieldSpec("id", "id", FieldType.INTEGER, nullable=False),
)


def test_unknown_names_list_what_the_catalogue_offers() -> None:
    assert error_of("colour = red", SMALL).description == (
        "unknown field 'colour' (filterable fields: city, year_built) (at character 1)"
    )
    assert error_of("within(1, 2, 3, 4)", SMALL).description == (
        "unknown function 'within' (supported: none) (at character 1)"
    )


def test_integers_take_the_32_bit_range() -> None:
    for text, value in (
        ("year_built = 2147483647", 2**31 - 1),
        ("year_built = -2147483647", -(2**31 - 1)),
        ("year_built = -2147483648", -(2**31)),  # INTEGER holds it: the bound is inclusive
    ):
        parsed = parse_filter(text)
        assert parsed == Comparison(YEAR_BUILT, CompareOp.EQ, value)
    assert "within 32 bits" in error_of("year_built = -2147483649").description


def test_strings_in_quotes_and_bare_words() -> None:
    assert parse_filter("city = Xenia") == Comparison(CITY, CompareOp.EQ, "Xenia")
    assert parse_filter('(city = "Austin")') == Comparison(CITY, CompareOp.EQ, "Austin")
    assert parse_filter("(city='San Marcos')") == Comparison(CITY, CompareOp.EQ, "San Marcos")


def test_or_and_not_build_the_expected_tree() -> None:
    austin = Comparison(CITY, CompareOp.EQ, "Austin")
    dallas = Comparison(CITY, CompareOp.EQ, "Dallas")
    old = Comparison(YEAR_BUILT, CompareOp.LT, 1950)
    assert parse_filter("city = Austin OR city = Dallas") == Or((austin, dallas))
    assert parse_filter("NOT (city = Austin OR city = Dallas) AND year_built < 1950") == And(
        (Not(Or((austin, dallas))), old)
    )


def test_the_length_bound_is_inclusive() -> None:
    fits = "city = Austin".ljust(MAX_FILTER_LENGTH)
    assert parse_filter(fits) == Comparison(CITY, CompareOp.EQ, "Austin")
    with pytest.raises(InvalidArgument) as caught:
        parse_filter(fits + " ")
    assert caught.value.field == "filter"
    assert caught.value.description == f"longer than {MAX_FILTER_LENGTH} characters"


def test_too_deep_names_the_token_that_went_past_the_bound() -> None:
    error = error_of("NOT " * (MAX_FILTER_DEPTH + 1) + "year_built = 3")
    position = 4 * MAX_FILTER_DEPTH + 1  # the 17th NOT
    assert error.position == position
    assert error.description == (
        f"nested deeper than {MAX_FILTER_DEPTH} levels (parentheses and NOTs) "
        f"(at character {position})"
    )


@pytest.mark.parametrize("term", ["NOT city = 'x'", "(city = 'x')", "NOT (city = 'x')"])
def test_depth_is_nesting_not_the_number_of_terms(term: str) -> None:
    siblings = " AND ".join([term] * (2 * MAX_FILTER_DEPTH))
    assert isinstance(parse_filter(siblings), And)
    # After the siblings, the depth is back where it was: a too-deep group is still refused.
    deep = "(" * (MAX_FILTER_DEPTH + 1) + "city = 'y'" + ")" * (MAX_FILTER_DEPTH + 1)
    with pytest.raises(FilterError, match="nested deeper"):
        parse_filter(siblings + " AND " + deep)


@pytest.mark.parametrize("term", ["NOT city = 'x'", "(city = 'x')"])
def test_a_term_deep_inside_does_not_reset_the_depth(term: str) -> None:
    # 15 levels, a NOT or group there (16), back to 15, then two more levels: 17.
    outer = MAX_FILTER_DEPTH - 1
    text = "(" * outer + term + " AND ((city = 'y'))" + ")" * outer
    with pytest.raises(FilterError, match="nested deeper"):
        parse_filter(text)
    fits = "(" * outer + term + " AND (city = 'y')" + ")" * outer
    assert parse_filter(fits) is not None


def test_canonical_form() -> None:
    assert canonical_filter(None) == ""
    parsed = parse_filter(
        'NOT (city = Austin OR city = "Dallas") AND list_price >= 500000.5 '
        'AND modification_timestamp < "2024-05-01T02:30:00+02:00" '
        "AND within(30.2, -97.8, 30.3, -97.7)"
    )
    assert canonical_filter(parsed) == (
        "(NOT (city = 'Austin' OR city = 'Dallas') AND list_price >= Decimal('500000.5') "
        "AND modification_time < 2024-05-01T00:30:00+00:00 "
        "AND within(30.2, -97.8, 30.3, -97.7))"
    )


def test_different_filters_never_share_a_canonical_form() -> None:
    texts = [
        "city = Austin OR city = Dallas",
        "city = Austin AND city = Dallas",
        "NOT city = Austin",
        "city = Austin",
        "NOT (city = Austin AND city = Dallas)",
        'modification_time >= "2024-05-01T00:00:00Z"',
        'modification_time >= "2024-05-01T00:00:01Z"',
    ]
    forms = [canonical_filter(parse_filter(text)) for text in texts]
    assert len(set(forms)) == len(texts)
    same_instant = canonical_filter(
        parse_filter('modification_time >= "2024-05-01T02:00:00+02:00"')
    )
    assert same_instant == forms[5]
    assert parse_filter('modification_time >= "2024-05-01T00:00:00Z"') == Comparison(
        LISTINGS.filter_fields["modification_time"],
        CompareOp.GE,
        datetime(2024, 5, 1, tzinfo=UTC),
    )
