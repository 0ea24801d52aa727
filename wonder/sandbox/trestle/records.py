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
    DAY,
    ListingState,
    Record,
    Roster,
    listing_key,
    listing_rng,
    location,
)
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


def build_property(seed: int, state: ListingState, roster: Roster) -> Record:
    """The full Property record of a listing in its current state."""
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
    record: Record = {
        "ListingKey": listing_key(state.index),
        "ListingId": f"WS{2_400_000 + state.index}",
        "StandardStatus": state.status,
        "MlsStatus": MLS_STATUS.get(state.status, state.status),
        "PropertyType": profile.property_type,
        "PropertySubType": sub_type,
        "ListPrice": state.price,
        "OriginalListPrice": state.original_price,
        "ClosePrice": close_price,
        "BedroomsTotal": beds,
        "BathroomsTotalInteger": (baths_full or 0) + (baths_half or 0) if residential else None,
        "BathroomsFull": baths_full,
        "BathroomsHalf": baths_half,
        "LivingArea": living_area,
        "LivingAreaUnits": "SquareFeet" if living_area else None,
        "LotSizeAcres": lot_acres,
        "LotSizeSquareFeet": round(lot_acres * 43_560),
        "YearBuilt": year_built,
        "StoriesTotal": _int(rng, 1, 3) if not land else None,
        "GarageSpaces": _int(rng, 0, 3) if residential else None,
        "ParkingTotal": _int(rng, 0, 4) if not land else None,
        "UnparsedAddress": address,
        "StreetNumber": number,
        "StreetDirPrefix": direction,
        "StreetName": street,
        "StreetSuffix": suffix,
        "UnitNumber": unit,
        "City": city.name,
        "CountyOrParish": city.county,
        "StateOrProvince": city.state,
        "PostalCode": postal,
        "Country": "US",
        "Latitude": round(city.latitude + rng.uniform(-0.15, 0.15), 6),
        "Longitude": round(city.longitude + rng.uniform(-0.15, 0.15), 6),
        "SubdivisionName": f"{_pick(rng, STREETS)} {_pick(rng, SUBDIVISIONS)}",
        "MLSAreaMajor": f"{city.name} {_pick(rng, ('North', 'South', 'East', 'West', 'Central'))}",
        "PublicRemarks": remarks,
        "ListAgentKey": agent["MemberKey"],
        "ListAgentMlsId": agent["MemberMlsId"],
        "ListAgentFullName": agent["MemberFullName"],
        "ListAgentEmail": agent["MemberEmail"],
        "ListOfficeKey": office["OfficeKey"],
        "ListOfficeMlsId": office["OfficeMlsId"],
        "ListOfficeName": office["OfficeName"],
        "ListOfficePhone": office["OfficePhone"],
        "BuyerAgentKey": buyer["MemberKey"] if closed else None,
        "BuyerAgentFullName": buyer["MemberFullName"] if closed else None,
        "ListingContractDate": _date(state.entry_ts),
        "OnMarketDate": _date(on_market),
        "OffMarketDate": _date(state.status_ts) if off_market else None,
        "CloseDate": _date(state.status_ts) if closed else None,
        "DaysOnMarket": dom,
        "CumulativeDaysOnMarket": dom + _pick(rng, (0, 0, 0, 14, 30)),
        "PhotosCount": state.photos_count,
        "PhotosChangeTimestamp": state.photos_ts,
        "ModificationTimestamp": state.modified_ts,
        "OriginalEntryTimestamp": state.entry_ts,
        "StatusChangeTimestamp": state.status_ts,
        "PriceChangeTimestamp": state.price_ts,
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
            f"https://tours.example.com/{listing_key(state.index)}" if rng.random() < 0.3 else None
        ),
        "InternetEntireListingDisplayYN": rng.random() < 0.97,
        "X_ListingSourceSystem": "WonderMLS",
        "X_HOAMonthlyFee": hoa,
        "X_ShowingInstructions": _pick(
            rng, ("Call listing agent", "Lockbox on front door", "Appointment only", None)
        ),
    }
    if state.bad == 1:
        record["ListPrice"] = "call agent"
    elif state.bad == 2:
        record["BedroomsTotal"] = "three"
    elif state.bad == 3:
        del record["ListingKey"]
    return record


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
                "MediaURL": f"https://media.sandbox.example.com/trestle/{key}/{media_key}.jpg",
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
