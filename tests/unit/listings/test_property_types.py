"""Property types: both RESO spellings read as the display name; leases are told from sales.

The RESO values come from the sandbox's $metadata (the Data Dictionary's PropertyType), not
from the module under test.
"""

from __future__ import annotations

import pytest

from tests.trestle_fixtures import reso_standard_names
from wonder.listings.normalize import (
    PROPERTY_TYPES,
    TransactionType,
    property_type_name,
    property_type_spellings,
    transaction_type,
)

RESO = reso_standard_names("PropertyType")  # member name -> display name


def test_the_known_property_types_are_the_data_dictionary_s() -> None:
    assert sorted(PROPERTY_TYPES) == sorted(RESO.values())


@pytest.mark.parametrize(("member", "name"), sorted(RESO.items()))
def test_both_spellings_read_as_the_display_name(member: str, name: str) -> None:
    assert property_type_name(member) == name
    assert property_type_name(name) == name
    assert set(property_type_spellings(name)) == {member, name}


@pytest.mark.parametrize(("member", "name"), sorted(RESO.items()))
def test_only_the_lease_types_are_leases(member: str, name: str) -> None:
    expected = TransactionType.LEASE if name.endswith(" Lease") else TransactionType.SALE
    assert transaction_type(member) is expected
    assert transaction_type(name) is expected


@pytest.mark.parametrize("value", [None, "", "Mobile Home Park", "residential lease"])
def test_an_unset_or_local_type_has_no_transaction_type(value: str | None) -> None:
    assert transaction_type(value) is None
    assert property_type_name(value) == value
