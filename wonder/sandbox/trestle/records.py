"""Deterministic records: the same (seed, index, mutable state) always gives the same record.

Nothing here keeps records: the store holds a compact state per listing and asks these functions
for a full record (and its media, open houses) only when a response needs one.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import TypeVar

from wonder.sandbox.clock import MICROS, from_micros
from wonder.sandbox.trestle.data import (
    CORRUPTIONS,
    DAY,
    ListingState,
    PropertyFacts,
    Record,
    Roster,
    listing_key,
    listing_rng,
    location,
    price_cents,
)
from wonder.sandbox.trestle.replies import media_path
from wonder.sandbox.trestle.vocabulary import (
    ADJECTIVES,
    APPLIANCES,
    COOLING,
    DIRECTIONS,
    EXTERIOR,
    FLOORING,
    HEATING,
    INTERIOR,
    MLS_STATUS,
    PHOTO_ROOMS,
    PROPERTY_TYPES,
    STREETS,
    SUBDIVISIONS,
    SUFFIXES,
)

T = TypeVar("T")


def _int(rng: random.Random, low: int, high: int) -> int:
    """Like ``randint`` at a fraction of the cost (records are built on every request)."""
    return low + int(rng.random() * (high - low + 1))


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    return options[int(rng.random() * len(options))]


def _pick_some(rng: random.Random, options: tuple[str, ...], low: int, high: int) -> str | None:
    """Between ``low`` and ``high`` distinct options, in their declared order; none is null
    (Trestle serves an empty multi-value lookup as null, never as "")."""
    bits = rng.getrandbits(len(options))
    chosen = [option for bit, option in enumerate(options) if bits >> bit & 1][:high]
    if len(chosen) < low:
        chosen = list(options[:low])
    return ",".join(chosen) or None


@functools.lru_cache(maxsize=65_536)
def _date(ts: int) -> str:
    return from_micros(ts).date().isoformat()


def _money(dollars: int, cents: int) -> int | float:
    """A price as served: an integer, or a number with cents (exact in binary: 25/50/75)."""
    return dollars if not cents else dollars + cents / 100


def build_property(seed: int, state: ListingState, roster: Roster) -> Record:
    """The full Property record of a listing in its current state (corruption included)."""
    return draw_property(seed, state, roster)[1]


def property_facts(seed: int, state: ListingState, roster: Roster) -> PropertyFacts:
    """What the listing's record is meant to say (``PropertyFacts``)."""
    return draw_property(seed, state, roster)[0]


def draw_property(seed: int, state: ListingState, roster: Roster) -> tuple[PropertyFacts, Record]:
    """Draw a listing's record: its facts, and the record serialized from them."""
    rng = listing_rng(seed, state.index)
    profile = PROPERTY_TYPES[state.type_index]
    city, postal = location(seed, state.index)
    sub_type = _pick(rng, profile.sub_types)
    residential = profile.property_type.startswith("Residential")
    land = profile.property_type == "Land"
    number = str(_int(rng, 100, 9899))
    direction = _pick(rng, DIRECTIONS) if rng.random() < 0.2 else None
    street = _pick(rng, STREETS)
    suffix = _pick(rng, SUFFIXES)
    unit = str(_int(rng, 1, 40)) if sub_type in ("Condominium", "Apartment") else None
    beds = _int(rng, 1, 6) if residential else None
    baths_full = _int(rng, 1, 4) if residential else None
    baths_half = _int(rng, 0, 2) if residential else None
    living_area = None if land else _int(rng, 6, 45) * 100 + _int(rng, 0, 99)
    lot_acres = round(rng.uniform(0.08, 1.2) if not land else rng.uniform(0.5, 80), 2)
    year_built = None if land else _int(rng, 1925, 2025)
    agent = roster.members[rng.randrange(len(roster.members))]
    office = roster.office_by_key[agent["OfficeKey"]]
    buyer = roster.members[rng.randrange(len(roster.members))]
    street_line = " ".join(p for p in (number, direction, street, suffix) if p)
    address = f"{street_line}{f' #{unit}' if unit else ''}, {city.name}, {city.state} {postal}"
    on_market = state.entry_ts + _int(rng, 0, 5) * DAY
    closed = state.status == "Closed"
    off_market = state.status in ("Closed", "Canceled", "Expired", "Delete")
    end = state.status_ts if off_market else state.modified_ts
    dom = max(0, (end - on_market) // DAY)
    close_price = None
    if closed:
        close_price = (
            state.price
            + int(state.price * listing_rng(seed, state.index, state.version).uniform(-0.06, 0.05))
            // 100
            * 100
        )
    hoa = _pick(rng, (None, None, 45, 120, 250, 480)) if residential else None
    adjective = _pick(rng, ADJECTIVES)
    remarks = (
        f"{adjective} {sub_type.lower()} in {city.name}"
        + (f" with {beds} bedrooms and {baths_full} baths" if beds else "")
        + (f", {living_area} sq ft" if living_area else "")
        + f". Close to {_pick(rng, STREETS)} Park and {_pick(rng, STREETS)} schools."
    )
    # Drawn in the order the record lists them (the stream must not change).
    stories = _int(rng, 1, 3) if not land else None
    garage = _int(rng, 0, 3) if residential else None
    parking = _int(rng, 0, 4) if not land else None
    latitude = round(city.latitude + rng.uniform(-0.15, 0.15), 6)
    longitude = round(city.longitude + rng.uniform(-0.15, 0.15), 6)
    facts = PropertyFacts(
        listing_key=listing_key(state.index),
        listing_id=f"WS{2_400_000 + state.index}",
        status=state.status,
        mls_status=MLS_STATUS.get(state.status, state.status),
        property_type=profile.property_type,
        sub_type=sub_type,
        price=state.price,
        original_price=state.original_price,
        close_price=close_price,
        cents=price_cents(seed, state.index, state.type_index),
        beds=beds,
        baths_full=baths_full,
        baths_half=baths_half,
        baths_total=(baths_full or 0) + (baths_half or 0) if residential else None,
        living_area=living_area,
        lot_acres=lot_acres,
        year_built=year_built,
        street_number=number,
        street_dir=direction,
        street_name=street,
        street_suffix=suffix,
        unit=unit,
        address=address,
        city=city.name,
        county=city.county,
        state=city.state,
        postal_code=postal,
        country="US",
        latitude=latitude,
        longitude=longitude,
        remarks=remarks,
        agent_key=agent["MemberKey"],
        office_key=office["OfficeKey"],
        entry_ts=state.entry_ts,
        on_market_ts=on_market,
        status_ts=state.status_ts,
        price_ts=state.price_ts,
        modified_ts=state.modified_ts,
        photos_ts=state.photos_ts,
        photos_count=state.photos_count,
        closed=closed,
        off_market=off_market,
        corruption=state.bad,
    )
    f = facts
    record: Record = {
        "ListingKey": f.listing_key,
        "ListingId": f.listing_id,
        "StandardStatus": f.status,
        "MlsStatus": f.mls_status,
        "PropertyType": f.property_type,
        "PropertySubType": f.sub_type,
        "ListPrice": _money(f.price, f.cents),
        "OriginalListPrice": _money(f.original_price, f.cents),
        "ClosePrice": f.close_price,
        "BedroomsTotal": f.beds,
        "BathroomsTotalInteger": f.baths_total,
        "BathroomsFull": f.baths_full,
        "BathroomsHalf": f.baths_half,
        "LivingArea": f.living_area,
        "LivingAreaUnits": "SquareFeet" if f.living_area else None,
        "LotSizeAcres": f.lot_acres,
        "LotSizeSquareFeet": round(f.lot_acres * 43_560),
        "YearBuilt": f.year_built,
        "StoriesTotal": stories,
        "GarageSpaces": garage,
        "ParkingTotal": parking,
        "UnparsedAddress": f.address,
        "StreetNumber": f.street_number,
        "StreetDirPrefix": f.street_dir,
        "StreetName": f.street_name,
        "StreetSuffix": f.street_suffix,
        "UnitNumber": f.unit,
        "City": f.city,
        "CountyOrParish": f.county,
        "StateOrProvince": f.state,
        "PostalCode": f.postal_code,
        "Country": f.country,
        "Latitude": f.latitude,
        "Longitude": f.longitude,
        "SubdivisionName": f"{_pick(rng, STREETS)} {_pick(rng, SUBDIVISIONS)}",
        "MLSAreaMajor": f"{city.name} {_pick(rng, ('North', 'South', 'East', 'West', 'Central'))}",
        "PublicRemarks": f.remarks,
        "ListAgentKey": f.agent_key,
        "ListAgentMlsId": agent["MemberMlsId"],
        "ListAgentFullName": agent["MemberFullName"],
        "ListAgentEmail": agent["MemberEmail"],
        "ListOfficeKey": f.office_key,
        "ListOfficeMlsId": office["OfficeMlsId"],
        "ListOfficeName": office["OfficeName"],
        "ListOfficePhone": office["OfficePhone"],
        "BuyerAgentKey": buyer["MemberKey"] if closed else None,
        "BuyerAgentFullName": buyer["MemberFullName"] if closed else None,
        "ListingContractDate": _date(f.entry_ts),
        "OnMarketDate": _date(f.on_market_ts),
        "OffMarketDate": _date(f.status_ts) if f.off_market else None,
        "CloseDate": _date(f.status_ts) if f.closed else None,
        "DaysOnMarket": dom,
        "CumulativeDaysOnMarket": dom + _pick(rng, (0, 0, 0, 14, 30)),
        "PhotosCount": f.photos_count,
        "PhotosChangeTimestamp": f.photos_ts,
        "ModificationTimestamp": f.modified_ts,
        "OriginalEntryTimestamp": f.entry_ts,
        "StatusChangeTimestamp": f.status_ts,
        "PriceChangeTimestamp": f.price_ts,
        "Appliances": _pick_some(rng, APPLIANCES, 2, 6) if residential else None,
        "Cooling": _pick_some(rng, COOLING, 1, 2) if not land else None,
        "Heating": _pick_some(rng, HEATING, 1, 2) if not land else None,
        "InteriorFeatures": _pick_some(rng, INTERIOR, 1, 5) if residential else None,
        "ExteriorFeatures": _pick_some(rng, EXTERIOR, 0, 3) if not land else None,
        "Flooring": _pick_some(rng, FLOORING, 1, 3) if not land else None,
        "PoolPrivateYN": rng.random() < 0.15 if residential else None,
        "WaterfrontYN": rng.random() < 0.05,
        "NewConstructionYN": year_built is not None and year_built >= 2024,
        "AssociationYN": hoa is not None,
        "AssociationFee": hoa,
        "AssociationFeeFrequency": "Monthly" if hoa is not None else None,
        "TaxAnnualAmount": round(state.original_price * rng.uniform(0.011, 0.024), 2)
        if profile.property_type != "ResidentialLease"
        else None,
        "TaxYear": 2025,
        "VirtualTourURLUnbranded": (
            f"https://tours.example.com/{f.listing_key}" if rng.random() < 0.3 else None
        ),
        "InternetEntireListingDisplayYN": rng.random() < 0.97,
        "X_ListingSourceSystem": "WonderMLS",
        "X_HOAMonthlyFee": hoa,
        "X_ShowingInstructions": _pick(
            rng, ("Call listing agent", "Lockbox on front door", "Appointment only", None)
        ),
    }
    corruption = CORRUPTIONS.get(state.bad)
    if corruption is not None:
        if corruption.served is None:
            del record[corruption.field]
        else:
            record[corruption.field] = corruption.served
    return facts, record


def build_media(seed: int, state: ListingState) -> list[Record]:
    """The listing's media, ordered by ``Order``; keys change when the photo set changes."""
    if state.photos_count <= 0:
        return []
    rng = listing_rng(seed, state.index, 1_000 + state.media_version)
    key = listing_key(state.index)
    media: list[Record] = []
    for order in range(1, state.photos_count + 1):
        media_key = f"{key}-{state.media_version}-{order:02d}"
        landscape = rng.random() < 0.85
        media.append(
            {
                "MediaKey": media_key,
                "ResourceRecordKey": key,
                "ResourceName": "Property",
                "Order": order,
                # A path: served under the host the client reached the sandbox at (query.py).
                "MediaURL": media_path(key, media_key),
                "MediaCategory": "Photo" if order > 1 or rng.random() < 0.98 else "FloorPlan",
                "MimeType": "image/jpeg",
                "ShortDescription": _pick(rng, PHOTO_ROOMS),
                "ImageWidth": 2048 if landscape else 1365,
                "ImageHeight": 1365 if landscape else 2048,
                "ModificationTimestamp": state.photos_ts,
            }
        )
    return media


def has_open_house(seed: int, state: ListingState) -> bool:
    if state.status not in ("Active", "ComingSoon"):
        return False
    return (seed * 131 + state.index * 2_654_435_761 + state.version * 40_503) % 100 < 30


def build_open_houses(seed: int, state: ListingState) -> list[Record]:
    if not has_open_house(seed, state):
        return []
    rng = listing_rng(seed, state.index, 50_000 + state.version)
    key = listing_key(state.index)
    houses: list[Record] = []
    for number in range(_int(rng, 1, 2)):
        day = state.modified_ts - state.modified_ts % DAY + (3 + 7 * number) * DAY
        start = day + _pick(rng, (10, 11, 13, 14)) * 3_600 * MICROS + 5 * 3_600 * MICROS
        houses.append(
            {
                "OpenHouseKey": f"{key}-OH{state.version}-{number + 1}",
                "ListingKey": key,
                "ListingId": f"WS{2_400_000 + state.index}",
                "OpenHouseDate": _date(day),
                "OpenHouseStartTime": start,
                "OpenHouseEndTime": start + 2 * 3_600 * MICROS,
                "OpenHouseRemarks": _pick(rng, ("Refreshments served", "Bring your agent", None)),
                "ModificationTimestamp": state.modified_ts,
            }
        )
    return houses
