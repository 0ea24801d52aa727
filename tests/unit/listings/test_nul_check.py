"""A record is refused for a NUL character only when it holds one (PostgreSQL cannot store it)."""

from __future__ import annotations

from typing import Any

import pytest

from wonder.listings.normalize import NormalizedListing, Rejected, normalize_property


def record(note: str) -> dict[str, Any]:
    return {
        "ListingKey": "L1",
        "ModificationTimestamp": "2026-01-31T12:00:00Z",
        "StandardStatus": "Active",
        "X_Note": note,
    }


@pytest.mark.parametrize("note", ["a\x00b", "\\\x00", "\\\\\x00", "\x00"])
def test_a_nul_anywhere_is_refused(note: str) -> None:
    result = normalize_property(record(note))
    assert isinstance(result, Rejected)
    assert result.reason == "raw: contains a NUL character"


@pytest.mark.parametrize("note", ["C:\\u0000\\file", "\\\\\\u0000", "u0000", "\\"])
def test_the_letters_of_an_escape_are_not_a_nul(note: str) -> None:
    assert isinstance(normalize_property(record(note)), NormalizedListing)
