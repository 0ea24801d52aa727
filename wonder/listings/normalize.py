"""RESO records (Property, Media, Member, Office) → our rows. Pure and strict.

A record either normalizes completely or comes back as ``Rejected`` with a reason naming the
field (a wrong type, a missing key, an out-of-range or over-long value); nothing here raises on
bad data. Only the fields we keep as columns are checked: the full record stays in ``raw``
(multi-value enumerations, local ``X_`` fields and the hundreds of other fields included).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from wonder.db.json_text import has_nul_escape, holds_nul
from wonder.ingest.fields import FieldError, FieldReader, type_name
from wonder.ingest.hashing import canonical_json, text_hash

# The RESO Data Dictionary 2.0 StandardStatus values, stored as their display strings. An OData
# enum arrives as its member name ("ActiveUnderContract"), a string lookup as the display string:
# both are accepted.
STANDARD_STATUSES = frozenset(
    {
        "Active",
        "Active Under Contract",
        "Canceled",
        "Closed",
        "Coming Soon",
        "Delete",
        "Expired",
        "Hold",
        "Incomplete",
        "Pending",
        "Withdrawn",
    }
)
_STATUS_BY_NAME = {
    **{status.replace(" ", ""): status for status in STANDARD_STATUSES},
    **{status: status for status in STANDARD_STATUSES},
}
DELETE_STATUS = "Delete"

# The RESO Data Dictionary 2.0 PropertyType values, as display strings. The column keeps what
# the MLS sent (the member name "ResidentialLease", the display string "Residential Lease", or a
# local value); the API reads both RESO spellings as the display string. A "... Lease" type is a
# rental: its ListPrice is the rent (monthly on the MLSs we know), not a sale price.
PROPERTY_TYPES = (
    "Business Opportunity",
    "Commercial Lease",
    "Commercial Sale",
    "Farm",
    "Land",
    "Manufactured In Park",
    "Residential",
    "Residential Income",
    "Residential Lease",
)
LEASE_PROPERTY_TYPES = frozenset({"Commercial Lease", "Residential Lease"})
_PROPERTY_TYPE_BY_SPELLING = {
    **{name.replace(" ", ""): name for name in PROPERTY_TYPES},
    **{name: name for name in PROPERTY_TYPES},
}


class TransactionType(enum.StrEnum):
    """What a listing offers: the property for sale, or for lease (rent)."""

    SALE = "SALE"
    LEASE = "LEASE"


def property_type_name(stored: str | None) -> str | None:
    """A stored PropertyType as its RESO display string; a local value as it is."""
    if stored is None:
        return None
    return _PROPERTY_TYPE_BY_SPELLING.get(stored, stored)


def property_type_spellings(name: str) -> tuple[str, ...]:
    """The ways a RESO PropertyType can be stored: display string and member name."""
    member = name.replace(" ", "")
    return (name,) if member == name else (name, member)


def transaction_type(property_type: str | None) -> TransactionType | None:
    """Sale or lease, from a stored PropertyType; None when it is unset or not a RESO value."""
    name = _PROPERTY_TYPE_BY_SPELLING.get(property_type or "")
    if name is None:
        return None
    return TransactionType.LEASE if name in LEASE_PROPERTY_TYPES else TransactionType.SALE


# Expanded navigation properties are not part of the Property record we keep.
MEDIA_NAVIGATION = "Media"
_ANNOTATION = MEDIA_NAVIGATION + "@"

_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Rejected:
    """Why a record was not accepted; ``key`` is its record key when it had a usable one."""

    reason: str
    key: str | None = None


@dataclass(frozen=True)
class NormalizedListing:
    listing_key: str
    modification_timestamp: datetime
    listing_id: str | None
    standard_status: str | None
    mls_status: str | None
    property_type: str | None
    property_sub_type: str | None
    list_price: Decimal | None
    original_list_price: Decimal | None
    close_price: Decimal | None
    bedrooms_total: int | None
    bathrooms_total: int | None
    living_area: float | None
    lot_size_acres: float | None
    year_built: int | None
    unparsed_address: str | None
    street_number: str | None
    street_name: str | None
    unit_number: str | None
    city: str | None
    state_or_province: str | None
    postal_code: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    public_remarks: str | None
    list_agent_key: str | None
    list_office_key: str | None
    listing_contract_date: date | None
    close_date: date | None
    photos_count: int | None
    photos_change_timestamp: datetime | None
    # The source record without the expanded Media array.
    raw: dict[str, Any]
    content_hash: str

    @property
    def is_delete(self) -> bool:
        return self.standard_status == DELETE_STATUS

    def columns(self) -> dict[str, Any]:
        """The normalized column values (everything but ``raw`` and ``content_hash``)."""
        return {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("raw", "content_hash")
        }


@dataclass(frozen=True)
class NormalizedMedia:
    media_key: str
    listing_key: str
    order: int | None
    media_url: str | None
    media_category: str | None
    mime_type: str | None
    short_description: str | None
    image_width: int | None
    image_height: int | None
    modification_timestamp: datetime | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class NormalizedMember:
    member_key: str
    modification_timestamp: datetime
    member_mls_id: str | None
    first_name: str | None
    last_name: str | None
    full_name: str | None
    email: str | None
    phone: str | None
    office_key: str | None
    status: str | None
    raw: dict[str, Any]
    content_hash: str


@dataclass(frozen=True)
class NormalizedOffice:
    office_key: str
    modification_timestamp: datetime
    office_mls_id: str | None
    name: str | None
    phone: str | None
    email: str | None
    city: str | None
    state_or_province: str | None
    postal_code: str | None
    status: str | None
    raw: dict[str, Any]
    content_hash: str


def strip_navigation(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without its expanded Media (``Media`` and ``Media@odata.*`` annotations)."""
    raw = dict(record)
    raw.pop(MEDIA_NAVIGATION, None)
    # Annotations are rare: "@" in a name is a cheap test, startswith only where it holds.
    for name in [name for name in raw if "@" in name and name.startswith(_ANNOTATION)]:
        del raw[name]
    return raw


def record_key(record: object, key_field: str) -> str | None:
    """The record's key when it is a usable string (for quarantine rows), else None."""
    if not isinstance(record, Mapping):
        return None
    value = record.get(key_field)
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    return None


def normalize_property(record: object) -> NormalizedListing | Rejected:
    """A RESO Property record (Media may be expanded in it; it is not kept here)."""
    if not isinstance(record, Mapping):
        return Rejected(f"record: expected a JSON object, got {type_name(record)}")
    key = record_key(record, "ListingKey")
    read = FieldReader(record)
    try:
        raw = strip_navigation(record)
        return NormalizedListing(
            listing_key=read.key("ListingKey"),
            modification_timestamp=read.required_timestamp("ModificationTimestamp"),
            listing_id=read.string("ListingId", 64),
            standard_status=read.enum("StandardStatus", _STATUS_BY_NAME),
            mls_status=read.string("MlsStatus", 64),
            property_type=read.string("PropertyType", 64),
            property_sub_type=read.string("PropertySubType", 64),
            list_price=read.money("ListPrice"),
            original_list_price=read.money("OriginalListPrice"),
            close_price=read.money("ClosePrice"),
            bedrooms_total=read.integer("BedroomsTotal", 0, 10_000),
            bathrooms_total=read.integer("BathroomsTotalInteger", 0, 10_000),
            living_area=read.number("LivingArea", 0.0, 1e9),
            lot_size_acres=read.number("LotSizeAcres", 0.0, 1e9),
            year_built=read.integer("YearBuilt", 1000, 3000),
            unparsed_address=read.string("UnparsedAddress", 255),
            street_number=read.string("StreetNumber", 32),
            street_name=read.string("StreetName", 128),
            unit_number=read.string("UnitNumber", 32),
            city=read.string("City", 128),
            state_or_province=read.string("StateOrProvince", 32),
            postal_code=read.string("PostalCode", 16),
            country=read.string("Country", 8),
            latitude=read.number("Latitude", -90.0, 90.0),
            longitude=read.number("Longitude", -180.0, 180.0),
            public_remarks=read.text("PublicRemarks"),
            list_agent_key=read.string("ListAgentKey", 64),
            list_office_key=read.string("ListOfficeKey", 64),
            listing_contract_date=read.date("ListingContractDate"),
            close_date=read.date("CloseDate"),
            photos_count=read.integer("PhotosCount", 0, _INT32_MAX),
            photos_change_timestamp=read.timestamp("PhotosChangeTimestamp"),
            raw=raw,
            content_hash=_storable_hash(raw),  # last: a field's own error is reported first
        )
    except FieldError as error:
        return Rejected(str(error), key)


def _storable_hash(raw: dict[str, Any]) -> str:
    """The record's content hash, once its text is known to fit a PostgreSQL JSON column.

    PostgreSQL cannot store NUL in JSON text, not even in a field we keep no column for: such a
    record is refused here, or its whole page would fail to write on every run.
    """
    canonical = canonical_json(raw)
    if has_nul_escape(canonical):
        raise FieldError("raw", "contains a NUL character")
    return text_hash(canonical)


def _storable(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` once it is known to fit a PostgreSQL JSON column (for records without a hash;
    see :func:`_storable_hash`)."""
    if holds_nul(raw):
        raise FieldError("raw", "contains a NUL character")
    return raw


def normalize_media(
    record: object, *, listing_key: str | None = None
) -> NormalizedMedia | Rejected:
    """A RESO Media record; ``listing_key`` is the parent when it came expanded in a Property."""
    if not isinstance(record, Mapping):
        return Rejected(f"record: expected a JSON object, got {type_name(record)}")
    read = FieldReader(record)
    try:
        media_key = read.key("MediaKey")
        parent = read.string("ResourceRecordKey", 64)
        if parent is None:
            if listing_key is None:
                raise FieldError("ResourceRecordKey", "missing")
            parent = listing_key
        elif listing_key is not None and parent != listing_key:
            raise FieldError(
                "ResourceRecordKey",
                f"{parent!r} is not the expanding listing {listing_key!r}",
            )
        return NormalizedMedia(
            media_key=media_key,
            listing_key=parent,
            order=read.integer("Order", -_INT32_MAX, _INT32_MAX),
            media_url=read.text("MediaURL"),
            media_category=read.string("MediaCategory", 64),
            mime_type=read.string("MimeType", 64),
            short_description=read.text("ShortDescription"),
            image_width=read.integer("ImageWidth", 0, _INT32_MAX),
            image_height=read.integer("ImageHeight", 0, _INT32_MAX),
            modification_timestamp=read.timestamp("ModificationTimestamp"),
            raw=_storable(dict(record)),
        )
    except FieldError as error:
        return Rejected(str(error), record_key(record, "MediaKey"))


def normalize_member(record: object) -> NormalizedMember | Rejected:
    if not isinstance(record, Mapping):
        return Rejected(f"record: expected a JSON object, got {type_name(record)}")
    read = FieldReader(record)
    try:
        raw = dict(record)
        return NormalizedMember(
            member_key=read.key("MemberKey"),
            modification_timestamp=read.required_timestamp("ModificationTimestamp"),
            member_mls_id=read.string("MemberMlsId", 64),
            first_name=read.string("MemberFirstName", 128),
            last_name=read.string("MemberLastName", 128),
            full_name=read.string("MemberFullName", 255),
            email=read.string("MemberEmail", 255),
            phone=read.string("MemberPreferredPhone", 64),
            office_key=read.string("OfficeKey", 64),
            status=read.string("MemberStatus", 32),
            raw=raw,
            content_hash=_storable_hash(raw),
        )
    except FieldError as error:
        return Rejected(str(error), record_key(record, "MemberKey"))


def normalize_office(record: object) -> NormalizedOffice | Rejected:
    if not isinstance(record, Mapping):
        return Rejected(f"record: expected a JSON object, got {type_name(record)}")
    read = FieldReader(record)
    try:
        raw = dict(record)
        return NormalizedOffice(
            office_key=read.key("OfficeKey"),
            modification_timestamp=read.required_timestamp("ModificationTimestamp"),
            office_mls_id=read.string("OfficeMlsId", 64),
            name=read.string("OfficeName", 255),
            phone=read.string("OfficePhone", 64),
            email=read.string("OfficeEmail", 255),
            city=read.string("OfficeCity", 128),
            state_or_province=read.string("OfficeStateOrProvince", 32),
            postal_code=read.string("OfficePostalCode", 16),
            status=read.string("OfficeStatus", 32),
            raw=raw,
            content_hash=_storable_hash(raw),
        )
    except FieldError as error:
        return Rejected(str(error), record_key(record, "OfficeKey"))
