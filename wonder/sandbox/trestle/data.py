"""Deterministic listing data: the same (seed, index, mutable state) always gives the same record.

Nothing here keeps records: the store holds a compact state per listing and asks these functions
for a full record (and its media, open houses) only when a response needs one. Records use the
internal value representation of ``odata`` (timestamps as epoch microseconds).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from wonder.sandbox.clock import MICROS, from_micros

Record = dict[str, Any]
T = TypeVar("T")

KEY_BASE = (
    100_000_000  # ListingKey = str(KEY_BASE + index): fixed width, so text order = index order
)
DAY = 86_400 * MICROS


@dataclass(frozen=True)
class City:
    name: str
    state: str
    county: str
    postal_codes: tuple[str, ...]
    latitude: float
    longitude: float
    area_code: str


def _zips(first: int, last: int, step: int = 1) -> tuple[str, ...]:
    return tuple(f"{code:05d}" for code in range(first, last + 1, step))


CITIES: tuple[City, ...] = (
    City("Austin", "TX", "Travis", _zips(78701, 78759, 2), 30.2672, -97.7431, "512"),
    City("Denver", "CO", "Denver", _zips(80202, 80239), 39.7392, -104.9903, "303"),
    City("Phoenix", "AZ", "Maricopa", _zips(85003, 85054, 3), 33.4484, -112.0740, "602"),
    City("Raleigh", "NC", "Wake", _zips(27601, 27617), 35.7796, -78.6382, "919"),
    City("Nashville", "TN", "Davidson", _zips(37203, 37221), 36.1627, -86.7816, "615"),
    City("Tampa", "FL", "Hillsborough", _zips(33602, 33647, 3), 27.9506, -82.4572, "813"),
    City("Columbus", "OH", "Franklin", _zips(43201, 43235), 39.9612, -82.9988, "614"),
    City("Sacramento", "CA", "Sacramento", _zips(95811, 95838), 38.5816, -121.4944, "916"),
)


@dataclass(frozen=True)
class TypeProfile:
    property_type: str
    sub_types: tuple[str, ...]
    price_range: tuple[int, int]
    price_step: int
    weight: float


PROPERTY_TYPES: tuple[TypeProfile, ...] = (
    TypeProfile(
        "Residential",
        ("SingleFamilyResidence", "Condominium", "Townhouse"),
        (180_000, 1_800_000),
        1_000,
        0.64,
    ),
    TypeProfile(
        "ResidentialLease",
        ("SingleFamilyResidence", "Apartment", "Condominium", "Townhouse"),
        (1_100, 6_500),
        25,
        0.15,
    ),
    TypeProfile(
        "ResidentialIncome", ("Duplex", "Triplex", "Quadruplex"), (350_000, 2_400_000), 5_000, 0.07
    ),
    TypeProfile("Land", ("UnimprovedLand", "Farm", "Ranch"), (40_000, 900_000), 1_000, 0.08),
    TypeProfile(
        "CommercialSale",
        ("Office", "Retail", "Warehouse", "Industrial"),
        (450_000, 6_000_000),
        10_000,
        0.06,
    ),
)
TYPE_WEIGHTS = tuple(profile.weight for profile in PROPERTY_TYPES)

INITIAL_STATUSES: tuple[tuple[str, float], ...] = (
    ("Active", 0.45),
    ("ActiveUnderContract", 0.07),
    ("Pending", 0.10),
    ("Closed", 0.25),
    ("ComingSoon", 0.03),
    ("Expired", 0.06),
    ("Canceled", 0.04),
)
# Where a status change moves a listing (first choice most likely).
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    "Active": ("Pending", "ActiveUnderContract", "Expired", "Canceled", "Hold"),
    "ComingSoon": ("Active",),
    "ActiveUnderContract": ("Pending", "Active"),
    "Pending": ("Closed", "Active"),
    "Hold": ("Active", "Canceled"),
    "Expired": ("Active",),
    "Canceled": ("Active",),
    "Closed": ("Closed",),
    "Delete": ("Delete",),
}
MLS_STATUS = {
    "Active": "Active",
    "ActiveUnderContract": "Active Under Contract",
    "Pending": "Pending",
    "Closed": "Sold",
    "ComingSoon": "Coming Soon",
    "Expired": "Expired",
    "Canceled": "Withdrawn",
    "Hold": "Temp Off Market",
    "Delete": "Deleted",
}
STREETS = (
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Lakeview", "Hillcrest", "Sunset", "Willow", "Park",
    "Washington", "Lincoln", "Jefferson", "Madison", "Franklin", "Highland", "Meadow", "River",
    "Ridge", "Spring", "Magnolia", "Juniper", "Aspen", "Birch", "Chestnut", "Dogwood", "Forest",
)  # fmt: skip
SUBDIVISIONS = ("Estates", "Heights", "Village", "Commons", "Crossing")
SUFFIXES = ("St", "Ave", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Rd", "Trl")
DIRECTIONS = ("N", "S", "E", "W")
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Ethan", "Harper", "Daniel", "Evelyn", "Henry", "Priya", "Wei",
    "Fatima", "Diego", "Grace", "Samuel", "Chloe", "Omar", "Nora", "Julian", "Hana", "Marcus",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Garcia", "Martinez", "Brown", "Davis", "Lopez", "Wilson", "Anderson",
    "Thomas", "Nguyen", "Patel", "Kim", "Clark", "Lewis", "Walker", "Hall", "Young", "Allen",
    "King", "Wright", "Scott", "Torres", "Hill", "Green", "Adams", "Baker", "Rivera", "Chen",
)  # fmt: skip
OFFICE_WORDS = (
    "Realty", "Properties", "Real Estate Group", "Homes", "Partners", "Brokerage", "Realty Co",
)  # fmt: skip
OFFICE_PREFIXES = (
    "Summit", "Keystone", "Blue Door", "Cornerstone", "Lighthouse", "Evergreen", "Main Street",
    "Front Porch", "Red Brick", "Northstar", "Harbor", "Prairie", "Golden Gate", "Lone Star",
)  # fmt: skip
APPLIANCES = (
    "Dishwasher", "Refrigerator", "Microwave", "Range", "Oven", "Washer", "Dryer",
    "GasRange", "ElectricRange", "Disposal", "IceMaker", "WineRefrigerator",
)  # fmt: skip
COOLING = ("CentralAir", "CeilingFans", "HeatPump", "Zoned", "WindowUnits")
HEATING = ("Central", "ForcedAir", "NaturalGas", "HeatPump", "Electric", "Fireplaces", "Radiant")
INTERIOR = (
    "BuiltInFeatures", "CeilingFans", "HighCeilings", "KitchenIsland", "OpenFloorplan",
    "Pantry", "WalkInClosets", "GraniteCounters", "Bar", "SmartHome",
)  # fmt: skip
EXTERIOR = ("Lighting", "RainGutters", "PrivateYard", "Barbecue", "Garden", "FirePit")
FLOORING = ("Hardwood", "Carpet", "Tile", "Vinyl", "Laminate", "Concrete")
ADJECTIVES = (
    "Charming", "Stunning", "Updated", "Spacious", "Light-filled", "Move-in ready", "Renovated",
    "Classic", "Modern", "Quiet",
)  # fmt: skip
PHOTO_ROOMS = (
    "Front exterior", "Living room", "Kitchen", "Dining area", "Primary bedroom",
    "Primary bath", "Bedroom", "Bathroom", "Backyard", "Garage", "Laundry", "Office",
    "Patio", "Street view", "Aerial view",
)  # fmt: skip


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
    bad: int  # 0 = well-formed; 1 = ListPrice text; 2 = BedroomsTotal text; 3 = no ListingKey


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
