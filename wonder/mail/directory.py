"""The ports linking reads: who we know (contacts) and which listings exist, plus in-memory
implementations (tests, benchmarks, and a cache of a small table).

Contacts come from several sources: Trestle members and offices (``wonder.mail.sql_directory``
reads our listing tables), Buildium tenants and owners (their SQL directory comes with the
Buildium mirror: it implements :class:`ContactDirectory` and joins the others through
:class:`CombinedContactDirectory`, nothing else changes). Lookups are batched: one call per
message and kind of key, keyed by the normal forms of ``wonder.mail.matching``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from wonder.mail.matching import StreetAddress, address_key, name_key


class ContactKind(StrEnum):
    BUILDIUM_TENANT = "buildium_tenant"
    BUILDIUM_OWNER = "buildium_owner"
    TRESTLE_MEMBER = "trestle_member"
    TRESTLE_OFFICE = "trestle_office"


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone we know; ``key`` is the source's id (MemberKey, OfficeKey, Buildium id)."""

    kind: ContactKind
    key: str
    name: str | None
    emails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListingRef:
    listing_key: str
    listing_id: str | None  # the MLS number
    address: StreetAddress | None


class ContactDirectory(Protocol):
    def by_address(self, keys: Collection[str]) -> Mapping[str, Sequence[Contact]]:
        """Contacts per :func:`~wonder.mail.matching.address_key` (keys without one absent)."""
        ...

    def by_name(self, keys: Collection[str]) -> Mapping[str, Sequence[Contact]]:
        """Contacts per :func:`~wonder.mail.matching.name_key` (every match: linking decides
        whether one is unique)."""
        ...


class ListingDirectory(Protocol):
    def by_listing_id(self, ids: Collection[str]) -> Mapping[str, Sequence[ListingRef]]:
        """Listings per MLS number, compared upper-cased (keys are upper-case)."""
        ...

    def by_listing_key(self, keys: Collection[str]) -> Mapping[str, ListingRef]: ...

    def by_street_number(self, numbers: Collection[str]) -> Sequence[ListingRef]:
        """Listings whose street number is one of ``numbers`` (lower-case): the candidates
        an address mention is compared with."""
        ...


def _grouped(pairs: Iterable[tuple[str | None, Contact]]) -> dict[str, list[Contact]]:
    index: dict[str, list[Contact]] = {}
    for key, contact in pairs:
        if key is not None and contact not in index.setdefault(key, []):
            index[key].append(contact)
    return index


class InMemoryContactDirectory:
    def __init__(self, contacts: Iterable[Contact]) -> None:
        self.contacts = list(contacts)
        self._by_address = _grouped(
            (address_key(email), c) for c in self.contacts for email in c.emails
        )
        self._by_name = _grouped((name_key(c.name), c) for c in self.contacts if c.name)

    def by_address(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        return {k: self._by_address[k] for k in keys if k in self._by_address}

    def by_name(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        return {k: self._by_name[k] for k in keys if k in self._by_name}


class CombinedContactDirectory:
    """Several sources as one: every source's matches, merged."""

    def __init__(self, *directories: ContactDirectory) -> None:
        self.directories = directories

    def _merge(
        self, answers: Iterable[Mapping[str, Sequence[Contact]]]
    ) -> dict[str, list[Contact]]:
        merged: dict[str, list[Contact]] = {}
        for answer in answers:
            for key, contacts in answer.items():
                merged.setdefault(key, []).extend(contacts)
        return merged

    def by_address(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        return self._merge(d.by_address(keys) for d in self.directories)

    def by_name(self, keys: Collection[str]) -> dict[str, list[Contact]]:
        return self._merge(d.by_name(keys) for d in self.directories)


class InMemoryListingDirectory:
    def __init__(self, listings: Iterable[ListingRef]) -> None:
        self.listings = list(listings)
        self._by_id: dict[str, list[ListingRef]] = {}
        self._by_key = {listing.listing_key: listing for listing in self.listings}
        self._by_number: dict[str, list[ListingRef]] = {}
        for listing in self.listings:
            if listing.listing_id:
                self._by_id.setdefault(listing.listing_id.upper(), []).append(listing)
            if listing.address is not None:
                self._by_number.setdefault(listing.address.number, []).append(listing)

    def by_listing_id(self, ids: Collection[str]) -> dict[str, list[ListingRef]]:
        return {i: self._by_id[i] for i in ids if i in self._by_id}

    def by_listing_key(self, keys: Collection[str]) -> dict[str, ListingRef]:
        return {k: self._by_key[k] for k in keys if k in self._by_key}

    def by_street_number(self, numbers: Collection[str]) -> list[ListingRef]:
        return [listing for n in numbers for listing in self._by_number.get(n, ())]
