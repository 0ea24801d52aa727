"""The vocabulary generated listings are drawn from: cities, property types with their price
ranges, statuses and how they move, and the word lists of addresses, names and features."""

from __future__ import annotations

from dataclasses import dataclass


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
# StandardStatus members as RESO names them for display (the StandardName of each member in
# metadata.xml): what a listing's status means, independent of how the wire spells the member.
STATUS_DISPLAY = {
    "Active": "Active",
    "ActiveUnderContract": "Active Under Contract",
    "Canceled": "Canceled",
    "Closed": "Closed",
    "ComingSoon": "Coming Soon",
    "Delete": "Delete",
    "Expired": "Expired",
    "Hold": "Hold",
    "Incomplete": "Incomplete",
    "Pending": "Pending",
    "Withdrawn": "Withdrawn",
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
