"""Enumerated filter fields: only their values (or an alias) parse, and the error lists them."""

from __future__ import annotations

import pytest

from wonder.aip.fields import Catalogue, Enumeration, FieldSpec, FieldType, fields
from wonder.aip.filtering import Comparison, FilterError, canonical_filter, parse_filter

COLOUR = Enumeration(("Red", "Dark Blue"), aliases={"DarkBlue": "Dark Blue"})
CATALOGUE = Catalogue(
    filter_fields=fields(
        FieldSpec("colour", "colour", FieldType.STRING, enumeration=COLOUR),
        FieldSpec("name", "name", FieldType.STRING),
    ),
    order_fields={},
    tiebreak=FieldSpec("id", "id", FieldType.INTEGER, nullable=False),
)


def error_of(text: str) -> FilterError:
    with pytest.raises(FilterError) as caught:
        parse_filter(text, CATALOGUE)
    return caught.value


@pytest.mark.parametrize(
    ("text", "found", "position"),
    [
        ('colour = "Bogus"', "'Bogus'", 10),
        ("colour != Green", "'Green'", 11),
        ('colour = "red"', "'red'", 10),  # exact, as every string comparison
        ("colour = 3", "'3'", 10),
        ("colour =", "end of filter", 9),
    ],
)
def test_a_value_outside_the_enumeration_names_every_valid_one(
    text: str, found: str, position: int
) -> None:
    message = str(error_of(text))
    assert message == (
        f'filter: field \'colour\' takes one of "Red", "Dark Blue", found {found}'
        f" (at character {position})"
    )


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_only_equality_compares_an_enumerated_field(op: str) -> None:
    message = str(error_of(f"colour {op} Red"))
    assert "takes only = and !=" in message
    assert '"Red", "Dark Blue"' in message


@pytest.mark.parametrize(
    "text", ['colour = "Dark Blue"', "colour = DarkBlue", "colour = 'DarkBlue'"]
)
def test_an_alias_reads_as_its_canonical_value(text: str) -> None:
    parsed = parse_filter(text, CATALOGUE)
    assert isinstance(parsed, Comparison)
    assert parsed.value == "Dark Blue"
    # Page tokens bind the canonical filter: both spellings continue each other's pages.
    assert canonical_filter(parsed) == canonical_filter(
        parse_filter('colour = "Dark Blue"', CATALOGUE)
    )


def test_a_plain_string_field_still_takes_any_text() -> None:
    assert isinstance(parse_filter('name = "Bogus"', CATALOGUE), Comparison)


def test_an_enumeration_refuses_aliases_of_values_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="Green"):
        Enumeration(("Red",), aliases={"Grn": "Green"})
    with pytest.raises(ValueError, match="Green"):
        Enumeration(("Red",), stored={"Green": ("G",)})
