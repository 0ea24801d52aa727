"""What the sandbox means to serve, in typed values, for test oracles.

``intended_state`` reads the generator's own state (``PropertyFacts`` and the media records,
before serialization), never a served record: money as ``Decimal``, StandardStatus as its
display name, timestamps as aware datetimes (at the millisecond precision Trestle serves), dates
as dates. A test compares what a client stored with these values, so a bug in the code that
turns served records into rows cannot hide behind an oracle computed by that same code.

Every record the sandbox corrupted on purpose is listed with the field and the reason, whether
it is still served that way or a later change fixed it: a reader that read after each advance
has seen each of them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from wonder.sandbox.clock import from_micros
from wonder.sandbox.trestle.data import CORRUPTIONS, PropertyFacts, listing_key
from wonder.sandbox.trestle.records import build_media, property_facts
from wonder.sandbox.trestle.state import ListingStore
from wonder.sandbox.trestle.vocabulary import STATUS_DISPLAY

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Corruption:
    """One version of a listing served wrong on purpose."""

    listing_key: str
    listing_id: str
    field: str
    served: str | None  # what was served in the field's place; None: the field was left out
    reason: str
    modification_timestamp: datetime


@dataclass(frozen=True)
class IntendedMedia:
    media_key: str
    order: int
    url: str
    category: str
    mime_type: str
    description: str
    width: int
    height: int
    modification_timestamp: datetime


@dataclass(frozen=True)
class IntendedListing:
    """One listing as the generator holds it (the version served now, or last, if vanished)."""

    key: str
    listing_id: str
    status: str  # the RESO display name ("Active Under Contract")
    mls_status: str
    property_type: str
    sub_type: str
    price: Decimal
    original_price: Decimal
    close_price: Decimal | None
    bedrooms: int | None
    bathrooms: int | None  # full + half
    living_area: int | None  # square feet
    lot_acres: float
    year_built: int | None
    address: str
    street_number: str
    street_name: str
    unit: str | None
    city: str
    state: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    remarks: str
    agent_key: str
    office_key: str
    contract_date: date
    close_date: date | None
    photos_count: int
    photos_changed: datetime
    modified: datetime
    deleted: bool  # StandardStatus 'Delete', or vanished
    vanished: bool  # gone from the key set: only a census can tell
    corruption: Corruption | None  # the version served now is corrupted
    media: tuple[IntendedMedia, ...]


@dataclass(frozen=True)
class Intended:
    # Every listing the sandbox generated, vanished ones included, by ListingKey.
    listings: dict[str, IntendedListing]
    # Every corrupted version it served, oldest first.
    corrupted: tuple[Corruption, ...]

    def live(self) -> dict[str, IntendedListing]:
        return {key: item for key, item in self.listings.items() if not item.vanished}


def moment(micros: int) -> datetime:
    """A timestamp at the precision it is served (milliseconds)."""
    return from_micros(micros - micros % 1_000)


def _price(dollars: int, cents: int) -> Decimal:
    return (Decimal(dollars) + Decimal(cents) / 100).quantize(CENT)


def _corruption(facts: PropertyFacts, bad: int, modified_ts: int) -> Corruption:
    kind = CORRUPTIONS[bad]
    return Corruption(
        listing_key=facts.listing_key,
        listing_id=facts.listing_id,
        field=kind.field,
        served=kind.served,
        reason=kind.reason,
        modification_timestamp=moment(modified_ts),
    )


def _listing(
    facts: PropertyFacts, vanished: bool, media: tuple[IntendedMedia, ...]
) -> IntendedListing:
    f = facts
    return IntendedListing(
        key=f.listing_key,
        listing_id=f.listing_id,
        status=STATUS_DISPLAY[f.status],
        mls_status=f.mls_status,
        property_type=f.property_type,
        sub_type=f.sub_type,
        price=_price(f.price, f.cents),
        original_price=_price(f.original_price, f.cents),
        close_price=None if f.close_price is None else _price(f.close_price, 0),
        bedrooms=f.beds,
        bathrooms=f.baths_total,
        living_area=f.living_area,
        lot_acres=f.lot_acres,
        year_built=f.year_built,
        address=f.address,
        street_number=f.street_number,
        street_name=f.street_name,
        unit=f.unit,
        city=f.city,
        state=f.state,
        postal_code=f.postal_code,
        country=f.country,
        latitude=f.latitude,
        longitude=f.longitude,
        remarks=f.remarks,
        agent_key=f.agent_key,
        office_key=f.office_key,
        contract_date=from_micros(f.entry_ts).date(),
        close_date=from_micros(f.status_ts).date() if f.closed else None,
        photos_count=f.photos_count,
        photos_changed=moment(f.photos_ts),
        modified=moment(f.modified_ts),
        deleted=vanished or f.status == "Delete",
        vanished=vanished,
        corruption=_corruption(f, f.corruption, f.modified_ts) if f.corruption else None,
        media=media,
    )


def _media(store: ListingStore, index: int, base_url: str) -> tuple[IntendedMedia, ...]:
    return tuple(
        IntendedMedia(
            media_key=item["MediaKey"],
            order=item["Order"],
            url=base_url + item["MediaURL"],
            category=item["MediaCategory"],
            mime_type=item["MimeType"],
            description=item["ShortDescription"],
            width=item["ImageWidth"],
            height=item["ImageHeight"],
            modification_timestamp=moment(item["ModificationTimestamp"]),
        )
        for item in build_media(store.seed, store.state(index))
    )


def intended_state(store: ListingStore, base_url: str = "") -> Intended:
    """The store's listings and corruptions (media URLs under ``base_url``). Holds its lock."""
    with store.lock:
        listings: dict[str, IntendedListing] = {}
        for index in range(store.size):
            facts = property_facts(store.seed, store.state(index), store.roster)
            vanished = not store.exists(index)
            listings[listing_key(index)] = _listing(facts, vanished, _media(store, index, base_url))
        corrupted = tuple(
            _corruption(
                property_facts(store.seed, store.state(index), store.roster), bad, modified_ts
            )
            for index, bad, modified_ts in store.corruptions
        )
    return Intended(listings, corrupted)
