"""Listing identity and state: keys, location, the first state of a listing, the compact
mutable state records are built from (``records.py``), the facts a record is serialized from,
the corruptions served on purpose, and the roster of agents and offices.

Values use the internal representation of ``odata`` (timestamps as epoch microseconds).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, NamedTuple

from wonder.sandbox.clock import MICROS
from wonder.sandbox.trestle.vocabulary import (
    CITIES,
    FIRST_NAMES,
    INITIAL_STATUSES,
    LAST_NAMES,
    OFFICE_PREFIXES,
    OFFICE_WORDS,
    PROPERTY_TYPES,
    TYPE_WEIGHTS,
    City,
)

Record = dict[str, Any]

KEY_BASE = (
    100_000_000  # ListingKey = str(KEY_BASE + index): fixed width, so text order = index order
)
DAY = 86_400 * MICROS


def listing_key(index: int) -> str:
    return str(KEY_BASE + index)


def listing_index(key: str) -> int | None:
    if len(key) != len(str(KEY_BASE)) or not key.isdigit():
        return None
    index = int(key) - KEY_BASE
    return index if index >= 0 else None


def location(seed: int, index: int) -> tuple[City, str]:
    """City and postal code from a cheap hash, so key-only queries need no full record."""
    mixed = (seed * 0x9E3779B1 + index * 0x85EBCA77 + 0xC2B2AE3D) & 0xFFFFFFFF
    mixed = ((mixed ^ (mixed >> 15)) * 0x2C1B3C6D) & 0xFFFFFFFF
    mixed ^= mixed >> 13
    city = CITIES[mixed % len(CITIES)]
    return city, city.postal_codes[(mixed // len(CITIES)) % len(city.postal_codes)]


def listing_rng(seed: int, index: int, salt: int = 0) -> random.Random:
    return random.Random((seed * 1_000_003 + index) * 31 + salt)


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    point = rng.random() * sum(weight for _, weight in options)
    for value, weight in options:
        point -= weight
        if point <= 0:
            return value
    return options[-1][0]


@dataclass(frozen=True)
class InitialListing:
    type_index: int
    status: str
    price: int
    entry_ts: int
    modified_ts: int
    photos_count: int


def initial_listing(rng: random.Random, anchor: int, remap_ts: int) -> InitialListing:
    """First state of a listing, drawn from the generation stream ``rng``."""
    type_index = rng.choices(range(len(PROPERTY_TYPES)), TYPE_WEIGHTS)[0]
    profile = PROPERTY_TYPES[type_index]
    low, high = profile.price_range
    price = int(low + (high - low) * rng.random() ** 2.2) // profile.price_step * profile.price_step
    status = _weighted(rng, INITIAL_STATUSES)
    entry_ts = anchor - int(rng.random() * 540 * DAY) - 7 * DAY
    entry_ts -= entry_ts % MICROS  # whole seconds
    modified_ts = entry_ts + int(rng.random() * (anchor - entry_ts - DAY))
    modified_ts -= modified_ts % (60 * MICROS)  # minute resolution: natural ties
    if rng.random() < 0.2 and modified_ts < remap_ts:
        modified_ts = remap_ts  # a provider remap stamped many rows with one timestamp
    if profile.property_type == "Land":
        photos = rng.randint(0, 5)
    else:
        photos = 0 if rng.random() < 0.05 else rng.randint(3, 25)
    return InitialListing(type_index, status, price, entry_ts, modified_ts, photos)


@dataclass(frozen=True)
class ListingState:
    """The mutable part of a listing a record is built from."""

    index: int
    type_index: int
    status: str
    price: int
    original_price: int
    entry_ts: int
    modified_ts: int
    status_ts: int
    price_ts: int
    photos_ts: int
    photos_count: int
    media_version: int
    version: int
    bad: int  # 0 = well-formed, else a key of CORRUPTIONS


class PropertyFacts(NamedTuple):  # a tuple: built on every record, cheaply
    """What the generator means one listing to be, before it is serialized (and before any
    corruption): money in dollars and cents, timestamps in epoch microseconds, StandardStatus
    as its enum member. ``records.build_property`` serializes these; ``intended`` reads them."""

    listing_key: str
    listing_id: str
    status: str
    mls_status: str
    property_type: str
    sub_type: str
    price: int  # whole dollars
    original_price: int
    close_price: int | None
    cents: int  # of ListPrice and OriginalListPrice
    beds: int | None
    baths_full: int | None
    baths_half: int | None
    baths_total: int | None
    living_area: int | None
    lot_acres: float
    year_built: int | None
    street_number: str
    street_dir: str | None
    street_name: str
    street_suffix: str
    unit: str | None
    address: str
    city: str
    county: str
    state: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    remarks: str
    agent_key: str
    office_key: str
    entry_ts: int
    on_market_ts: int
    status_ts: int
    price_ts: int
    modified_ts: int
    photos_ts: int
    photos_count: int
    closed: bool
    off_market: bool
    corruption: int  # 0, or the key of the CORRUPTIONS entry the record is served with


@dataclass(frozen=True)
class CorruptionKind:
    """How a listing is served wrong on purpose (``ListingState.bad``): which field, what is
    served in its place (``None``: the field is left out), and why that record is bad."""

    field: str
    served: str | None
    reason: str


CORRUPTIONS: dict[int, CorruptionKind] = {
    1: CorruptionKind("ListPrice", "call agent", "ListPrice served as text, not a number"),
    2: CorruptionKind("BedroomsTotal", "three", "BedroomsTotal served as text, not an integer"),
    3: CorruptionKind("ListingKey", None, "ListingKey left out of the record"),
}

# Rents that end in cents (a third of the lease listings), so money keeps its fraction end to end.
LEASE_CENTS = (25, 50, 75)


def price_cents(seed: int, index: int, type_index: int) -> int:
    """The cents a listing's prices carry (0 for most): fixed per listing, never drawn from the
    record generator, so the other fields stay what they were."""
    if PROPERTY_TYPES[type_index].property_type != "ResidentialLease":
        return 0
    mixed = ((seed * 0x27D4EB2F) ^ (index * 0x165667B1)) & 0xFFFFFFFF
    mixed = ((mixed ^ (mixed >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    return LEASE_CENTS[mixed % 9] if mixed % 9 < len(LEASE_CENTS) else 0


@dataclass(frozen=True)
class Roster:
    """Agents and offices listings point at (small: materialized once)."""

    members: tuple[Record, ...]
    offices: tuple[Record, ...]
    office_by_key: dict[str, Record]


def build_roster(seed: int, listings: int, anchor: int) -> Roster:
    rng = random.Random(seed * 7_919 + 17)
    office_count = max(2, listings // 60)
    member_count = max(4, listings // 8)
    offices: list[Record] = []
    for number in range(office_count):
        city = CITIES[number % len(CITIES)]
        name = f"{rng.choice(OFFICE_PREFIXES)} {rng.choice(OFFICE_WORDS)}"
        slug = name.lower().replace(" ", "")
        offices.append(
            {
                "OfficeKey": f"OFF{20_000 + number}",
                "OfficeMlsId": f"O{5_000 + number}",
                "OfficeName": f"{name} {city.name}",
                "OfficePhone": f"{city.area_code}-555-{rng.randint(1000, 9999)}",
                "OfficeEmail": f"info@{slug}{number}.example.com",
                "OfficeCity": city.name,
                "OfficeStateOrProvince": city.state,
                "OfficePostalCode": rng.choice(city.postal_codes),
                "OfficeStatus": "Active" if rng.random() < 0.95 else "Inactive",
                "ModificationTimestamp": anchor - rng.randint(30, 900) * DAY // 24,
            }
        )
    members: list[Record] = []
    for number in range(member_count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        office = offices[number % office_count]
        city = next(c for c in CITIES if c.name == office["OfficeCity"])
        members.append(
            {
                "MemberKey": f"MBR{30_000 + number}",
                "MemberMlsId": f"M{60_000 + number}",
                "MemberFirstName": first,
                "MemberLastName": last,
                "MemberFullName": f"{first} {last}",
                "MemberEmail": f"{first}.{last}{number}@example.com".lower(),
                "MemberPreferredPhone": f"{city.area_code}-555-{rng.randint(1000, 9999)}",
                "OfficeKey": office["OfficeKey"],
                "MemberStatus": "Active" if rng.random() < 0.92 else "Inactive",
                "ModificationTimestamp": anchor - rng.randint(30, 900) * DAY // 24,
            }
        )
    return Roster(tuple(members), tuple(offices), {o["OfficeKey"]: o for o in offices})
