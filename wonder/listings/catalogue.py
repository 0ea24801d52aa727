"""What the listing API lets callers filter and sort on: typed fields and ``within(...)``.

The grammar is :mod:`wonder.aip`'s; this module only declares the listing collection's fields
(API name -> column; the enumerated ones with their values) and its one filter function, a
bounding box.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from wonder.aip.fields import (
    Catalogue,
    Enumeration,
    FieldSpec,
    FieldType,
    FilterFunction,
    fields,
)
from wonder.listings.normalize import (
    PROPERTY_TYPES,
    STANDARD_STATUSES,
    TransactionType,
    property_type_spellings,
    transaction_type,
)

_S, _I, _D, _F, _T = (
    FieldType.STRING,
    FieldType.INTEGER,
    FieldType.DECIMAL,
    FieldType.FLOAT,
    FieldType.TIMESTAMP,
)
LISTING_KEY = FieldSpec("listing_key", "listing_key", _S, nullable=False)
MODIFICATION_TIME = FieldSpec("modification_time", "modification_timestamp", _T, nullable=False)
UPDATE_TIME = FieldSpec("update_time", "updated_at", _T, nullable=False)
LIST_PRICE = FieldSpec("list_price", "list_price", _D)

# Enumerated fields: a filter naming a value outside these is refused with the list.
STANDARD_STATUS = Enumeration(
    tuple(sorted(STANDARD_STATUSES)),
    aliases={status.replace(" ", ""): status for status in STANDARD_STATUSES if " " in status},
)
PROPERTY_TYPE = Enumeration(
    PROPERTY_TYPES,
    aliases={name.replace(" ", ""): name for name in PROPERTY_TYPES if " " in name},
    stored={name: property_type_spellings(name) for name in PROPERTY_TYPES},
)
# Derived from the property type (no column of its own): LEASE is a "... Lease" type.
TRANSACTION_TYPE = Enumeration(
    tuple(kind.value for kind in TransactionType),
    aliases={f"TRANSACTION_TYPE_{kind.value}": kind.value for kind in TransactionType},
    stored={
        kind.value: tuple(
            spelling
            for name in PROPERTY_TYPES
            if transaction_type(name) is kind
            for spelling in property_type_spellings(name)
        )
        for kind in TransactionType
    },
)

_COMMON = fields(
    LIST_PRICE,
    MODIFICATION_TIME,
    UPDATE_TIME,
    FieldSpec("bedrooms_total", "bedrooms_total", _I),
    FieldSpec("bathrooms_total", "bathrooms_total", _I),
    FieldSpec("living_area", "living_area", _F),
    FieldSpec("year_built", "year_built", _I),
    FieldSpec("city", "city", _S),
    FieldSpec("postal_code", "postal_code", _S),
)
# Old RESO spelling accepted wherever the AIP name is.
_ALIASES = {"modification_timestamp": MODIFICATION_TIME}

FILTER_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {
        **_COMMON,
        **_ALIASES,
        **fields(
            FieldSpec("standard_status", "standard_status", _S, enumeration=STANDARD_STATUS),
            FieldSpec("property_type", "property_type", _S, enumeration=PROPERTY_TYPE),
            FieldSpec("transaction_type", "property_type", _S, enumeration=TRANSACTION_TYPE),
            FieldSpec("property_sub_type", "property_sub_type", _S),
            FieldSpec("state_or_province", "state_or_province", _S),
            FieldSpec("list_agent_key", "list_agent_key", _S),
            FieldSpec("list_office_key", "list_office_key", _S),
        ),
    }
)
ORDER_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {**_COMMON, **_ALIASES, LISTING_KEY.name: LISTING_KEY}
)

# The fixed orders of the listing's sub-collections, as keyset positions.
MEDIA_POSITION = (
    FieldSpec("order", "order", _I),
    FieldSpec("media_key", "media_key", _S, nullable=False),
)
HISTORY_POSITION = (
    FieldSpec("change_time", "changed_at", _T, nullable=False),
    FieldSpec("id", "id", _I, nullable=False),
)


@dataclass(frozen=True)
class Within:
    """A bounding box in decimal degrees; ``west > east`` crosses the antimeridian."""

    south: float
    west: float
    north: float
    east: float

    def canonical(self) -> str:
        return f"within({self.south!r}, {self.west!r}, {self.north!r}, {self.east!r})"


def _within(args: tuple[float, ...]) -> Within:
    south, west, north, east = args
    if not (-90 <= south <= north <= 90):
        raise ValueError("latitudes must satisfy -90 <= south <= north <= 90")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise ValueError("longitudes must lie within [-180, 180]")
    return Within(south, west, north, east)


WITHIN = FilterFunction("within", ("south", "west", "north", "east"), _within, aliases=("bbox",))

LISTINGS = Catalogue(
    filter_fields=FILTER_FIELDS,
    order_fields=ORDER_FIELDS,
    tiebreak=LISTING_KEY,
    functions=(WITHIN,),
)
