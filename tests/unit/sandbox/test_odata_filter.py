"""The $filter tokenizer, parser, type checks, evaluation and index hints."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wonder.sandbox.clock import to_micros
from wonder.sandbox.trestle.odata import (
    BoolOp,
    Bound,
    Compare,
    FieldRef,
    InList,
    Literal,
    Not,
    ODataError,
    check,
    compile_filter,
    key_values,
    lower_bound,
    parse_filter,
    parse_query,
    tokenize,
)
from wonder.sandbox.trestle.schema import load_schema

SCHEMA = load_schema()
PROPERTY = SCHEMA.entities["Property"]


def ts(text: str) -> int:
    return to_micros(datetime.fromisoformat(text.replace("Z", "+00:00")))


def matches(expression: str, row: dict[str, object]) -> bool:
    node = parse_filter(expression)
    check(node, PROPERTY)
    return compile_filter(node)(row.get)


def test_string_literal_with_doubled_quote() -> None:
    node = parse_filter("City eq 'O''Fallon'")
    assert node == Compare("eq", FieldRef("City"), Literal("string", "O'Fallon"))


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2026-01-31T12:00:00Z", "2026-01-31T12:00:00+00:00"),
        ("2026-01-31T12:00:00.123456Z", "2026-01-31T12:00:00.123456+00:00"),
        ("2026-01-31T12:00:00.1234567Z", "2026-01-31T12:00:00.123456+00:00"),
        ("2026-01-31T07:00:00-05:00", "2026-01-31T12:00:00+00:00"),
        ("2026-01-31T12:00Z", "2026-01-31T12:00:00+00:00"),
    ],
)
def test_timestamp_literals(literal: str, expected: str) -> None:
    node = parse_filter(f"ModificationTimestamp gt {literal}")
    assert isinstance(node, Compare)
    assert node.right == Literal("timestamp", ts(expected))


def test_literal_kinds() -> None:
    kinds = {
        "1": ("int", 1),
        "-2.5": ("decimal", -2.5),
        "true": ("bool", True),
        "null": ("null", None),
        "2026-01-31": ("date", "2026-01-31"),
    }
    for text, (kind, value) in kinds.items():
        node = parse_filter(f"ListPrice eq {text}")
        assert isinstance(node, Compare)
        assert node.right == Literal(kind, value)


def test_precedence_not_and_or_and_parentheses() -> None:
    node = parse_filter("not (A eq 1) or B eq 2 and (C eq 3 or D eq 4)")
    assert isinstance(node, BoolOp)
    assert node.op == "or"
    assert isinstance(node.left, Not)
    assert isinstance(node.right, BoolOp)
    assert node.right.op == "and"


def test_not_binds_tighter_than_eq() -> None:
    # OData: `not A eq 1` is `(not A) eq 1`, not `not (A eq 1)`.
    node = parse_filter("not A eq 1")
    assert node == Compare("eq", Not(FieldRef("A")), Literal("int", 1, None))


def test_enum_literal_and_in_list() -> None:
    node = parse_filter("StandardStatus eq org.reso.metadata.enums.StandardStatus'Active'")
    assert node == Compare(
        "eq",
        FieldRef("StandardStatus"),
        Literal("enum", "Active", "org.reso.metadata.enums.StandardStatus"),
    )
    check(node, PROPERTY)
    listed = parse_filter("ListingKey in ('1', '2')")
    assert isinstance(listed, InList)
    assert [item.value for item in listed.items] == ["1", "2"]


@pytest.mark.parametrize(
    "expression",
    [
        "City eq 'unterminated",
        "ListPrice gt",
        "(ListPrice gt 1",
        "ListPrice gt 1 )",
        "ListPrice ~ 1",
        "ModificationTimestamp gt 2026-13-45T00:00:00Z",
        "ListPrice eq 1 and",
        "frobnicate(City)",
    ],
)
def test_syntax_errors(expression: str) -> None:
    with pytest.raises(ODataError) as caught:
        check(parse_filter(expression), PROPERTY)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "expression",
    [
        "Nope eq 1",
        "ListPrice eq 'abc'",
        "BedroomsTotal eq 2.5",
        "ModificationTimestamp gt 2026-01-01",
        "ListingContractDate gt 2026-01-01T00:00:00Z",
        "PoolPrivateYN gt true",
        "StandardStatus eq 'Sold'",
        "City has 'Austin'",
        "Appliances has 'Toaster'",
        "ListPrice gt null",
        "City",
        "StandardStatus eq org.reso.metadata.enums.PropertyType'Residential'",
    ],
)
def test_type_errors(expression: str) -> None:
    with pytest.raises(ODataError):
        check(parse_filter(expression), PROPERTY)


def test_evaluation() -> None:
    row: dict[str, object] = {
        "ListPrice": 450_000,
        "City": "Austin",
        "StandardStatus": "Active",
        "Appliances": "Dishwasher,Refrigerator",
        "ModificationTimestamp": ts("2026-01-31T12:00:00Z"),
        "PoolPrivateYN": True,
        "UnitNumber": None,
    }
    assert matches("ListPrice ge 450000 and City eq 'Austin'", row)
    assert matches("ListPrice lt 100000 or StandardStatus eq 'Active'", row)
    assert not matches("not (StandardStatus eq 'Active')", row)
    assert matches("Appliances has 'Dishwasher'", row)
    assert not matches("Appliances has 'Microwave'", row)
    assert matches("ModificationTimestamp eq 2026-01-31T07:00:00-05:00", row)
    assert matches("ModificationTimestamp gt 2026-01-31T11:59:59.999Z", row)
    assert matches("UnitNumber eq null", row)
    assert not matches("UnitNumber ne null", row)
    assert matches("PoolPrivateYN", row)
    assert matches("startswith(City, 'Aus') and contains(tolower(City), 'stin')", row)
    assert matches("450000 le ListPrice", row)


def test_malformed_values_never_match_ordering() -> None:
    assert not matches("ListPrice gt 1", {"ListPrice": "call agent"})
    assert matches("ListPrice ne 1", {"ListPrice": "call agent"})


def test_lower_bound_hint() -> None:
    t = ts("2026-01-31T12:00:00Z")
    node = parse_filter(
        "ModificationTimestamp gt 2026-01-31T12:00:00Z or "
        "(ModificationTimestamp eq 2026-01-31T12:00:00Z and ListingKey gt '5')"
    )
    assert lower_bound(node, "ModificationTimestamp") == Bound(t, True)
    strict = parse_filter("ModificationTimestamp gt 2026-01-31T12:00:00Z and ListPrice gt 1")
    assert lower_bound(strict, "ModificationTimestamp") == Bound(t, False)
    either = parse_filter("ModificationTimestamp gt 2026-01-31T12:00:00Z or ListPrice gt 1")
    assert lower_bound(either, "ModificationTimestamp") is None


def test_key_values_hint() -> None:
    node = parse_filter("ListingKey eq 'a' or ListingKey eq 'b' or ListingKey in ('c')")
    assert key_values(node, "ListingKey") == {"a", "b", "c"}
    narrowed = parse_filter("(ListingKey eq 'a' or ListingKey eq 'b') and ListPrice gt 1")
    assert key_values(narrowed, "ListingKey") == {"a", "b"}
    assert key_values(parse_filter("ListingKey eq 'a' or ListPrice gt 1"), "ListingKey") is None


@pytest.mark.parametrize(
    ("params", "ok"),
    [
        ([("$top", "1000")], True),
        ([("$top", "1001")], False),
        ([("$top", "300000"), ("$select", "ListingKey,PostalCode,StandardStatus")], True),
        ([("$top", "300000"), ("$select", "ListingKey,City")], False),
        ([("$top", "300000"), ("$select", "ListingKey"), ("$expand", "Media")], False),
        ([("$skip", "999000"), ("$top", "1000")], True),
        ([("$skip", "999001"), ("$top", "1000")], False),
        ([("$orderby", "ListPrice desc,ListingKey")], True),
        ([("$orderby", "ListPrice sideways")], False),
        ([("$count", "yes")], False),
        ([("$expand", "Media($select=MediaURL,Order)")], True),
        ([("$expand", "Media($select=Nope)")], False),
        ([("replication", "true"), ("$orderby", "ListPrice")], False),
        ([("replication", "true"), ("$skip", "10")], False),
        ([("$top", "5"), ("$top", "6")], False),
    ],
)
def test_query_option_validation(params: list[tuple[str, str]], ok: bool) -> None:
    if ok:
        parse_query(PROPERTY, SCHEMA.entities, params)
    else:
        with pytest.raises(ODataError):
            parse_query(PROPERTY, SCHEMA.entities, params)


def test_tokenizer_positions() -> None:
    tokens = tokenize("ListPrice  gt 5")
    assert [(t.kind, t.text, t.pos) for t in tokens] == [
        ("name", "ListPrice", 0),
        ("name", "gt", 11),
        ("number", "5", 14),
        ("end", "", 15),
    ]


def test_metadata_types_come_from_the_dictionary() -> None:
    fields = PROPERTY.fields
    assert fields["ListPrice"].kind.value == "decimal"
    assert fields["ModificationTimestamp"].kind.value == "timestamp"
    assert fields["StandardStatus"].enum_name == "StandardStatus"
    assert "Delete" in fields["StandardStatus"].members
    assert fields["Appliances"].kind.value == "multi_enum"
    assert "X_HOAMonthlyFee" in fields
    assert datetime.now(UTC).year >= 2025
