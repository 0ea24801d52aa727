"""FieldReader: each refusal names the field and the problem, as the quarantine shows it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from wonder.ingest.fields import FieldError, FieldReader, type_name


def problem(record: dict[str, Any], read: str, *args: Any) -> str:
    with pytest.raises(FieldError) as caught:
        getattr(FieldReader(record), read)(*args)
    return str(caught.value)


@pytest.mark.parametrize("read", ["text", "string", "enum", "date", "timestamp"])
def test_text_with_nul_is_refused_by_every_text_reader(read: str) -> None:
    extra: dict[str, tuple[Any, ...]] = {"string": (64,), "enum": ({"a\x00b": "x"},)}
    assert problem({"City": "a\x00b"}, read, "City", *extra.get(read, ())) == (
        "City: contains a NUL character"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "LivingArea: expected a number, got boolean True"),
        ("big", "LivingArea: expected a number, got string 'big'"),
        ([1], "LivingArea: expected a number, got array [1]"),
        ({"v": 1}, "LivingArea: expected a number, got object {'v': 1}"),
    ],
)
def test_numbers_refuse_what_is_not_a_number(value: Any, message: str) -> None:
    assert problem({"LivingArea": value}, "number", "LivingArea", 0.0, 1e9) == message


def test_money_holds_twelve_digits_before_the_point() -> None:
    # NUMERIC(14, 2).
    reader = FieldReader({"A": 999999999999.99, "B": -999999999999.99, "C": Decimal("0.5")})
    assert reader.money("A") == Decimal("999999999999.99")
    assert reader.money("B") == Decimal("-999999999999.99")
    assert reader.money("C") == Decimal("0.50")
    assert problem({"P": 10**12}, "money", "P") == "P: 1000000000000 is out of range"
    assert problem({"P": -(10**12)}, "money", "P") == "P: -1000000000000 is out of range"
    assert problem({"P": "1"}, "money", "P") == "P: expected a number, got string '1'"


def test_a_bad_timestamp_says_why() -> None:
    assert problem({"T": "yesterday"}, "timestamp", "T") == (
        "T: 'yesterday' is not an RFC 3339 timestamp"
    )
    assert problem({"T": "2026-01-31T12:00:00"}, "timestamp", "T") == (
        "T: '2026-01-31T12:00:00' has no UTC offset"
    )


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (False, "boolean"),
        ("x", "string"),
        (1, "number"),
        (1.5, "number"),
        (Decimal("1"), "number"),
        ({}, "object"),
        ([], "array"),
        ({1, 2}, "set"),
        (b"x", "bytes"),
    ],
)
def test_type_names_are_json_names(value: object, name: str) -> None:
    assert type_name(value) == name
