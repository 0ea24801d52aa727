"""A record is refused for a NUL character only when it holds one (PostgreSQL cannot store it in
JSON, so a page holding one would fail to write on every run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wonder.listings.normalize import (
    NormalizedListing,
    Rejected,
    normalize_media,
    normalize_member,
    normalize_office,
    normalize_property,
)


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


@pytest.mark.parametrize(
    ("normalize", "fields"),
    [
        (normalize_media, {"MediaKey": "M1", "ResourceRecordKey": "L1"}),
        (
            normalize_member,
            {"MemberKey": "A1", "ModificationTimestamp": "2026-01-31T12:00:00Z"},
        ),
        (
            normalize_office,
            {"OfficeKey": "O1", "ModificationTimestamp": "2026-01-31T12:00:00Z"},
        ),
    ],
)
@pytest.mark.parametrize(
    "extra", [{"LongDescription": "a\x00b"}, {"X_Tags": ["ok", {"n": "\x00"}]}, {"X\x00": 1}]
)
def test_media_agents_and_offices_with_a_nul_anywhere_are_refused(
    normalize: Callable[[object], object], fields: dict[str, Any], extra: dict[str, Any]
) -> None:
    result = normalize({**fields, **extra})
    assert isinstance(result, Rejected)
    assert result.reason == "raw: contains a NUL character"
    assert result.key == next(iter(fields.values()))  # quarantined under its own key


@pytest.mark.parametrize("normalize", [normalize_media, normalize_member, normalize_office])
def test_the_letters_u0000_in_their_fields_are_kept(normalize: Callable[..., object]) -> None:
    record = {
        "MediaKey": "M1",
        "ResourceRecordKey": "L1",
        "MemberKey": "A1",
        "OfficeKey": "O1",
        "ModificationTimestamp": "2026-01-31T12:00:00Z",
        "X_Note": "C:\\u0000\\file",
    }
    assert not isinstance(normalize(record), Rejected)
