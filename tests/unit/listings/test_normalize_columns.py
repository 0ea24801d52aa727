"""Every column the normalizers fill: read from its RESO field, within what its column holds.

The string limits are the lengths of the columns the values are stored in (the SQLAlchemy
models), so a value that fits is kept whole and one character more is a rejection naming the
field. Integer columns are PostgreSQL ``integer`` (32 bits).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute

from wonder.db.models import Listing, ListingMedia, Member, Office
from wonder.listings.normalize import (
    NormalizedListing,
    NormalizedMedia,
    NormalizedMember,
    NormalizedOffice,
    Rejected,
    normalize_media,
    normalize_member,
    normalize_office,
    normalize_property,
)

INT32_MAX = 2**31 - 1
STAMP = "2026-01-31T12:00:00.123Z"
STAMP_UTC = datetime(2026, 1, 31, 12, 0, 0, 123000, tzinfo=UTC)


def reference_hash(document: dict[str, Any]) -> str:
    """sha256 of the key-sorted compact JSON (the content hash's definition)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


PROPERTY: dict[str, Any] = {
    "ListingKey": "L1",
    "ModificationTimestamp": STAMP,
    "ListingId": "MLS-1",
    "StandardStatus": "ActiveUnderContract",
    "MlsStatus": "Under Contract",
    "PropertyType": "Residential",
    "PropertySubType": "Condominium",
    "ListPrice": 425000,
    "OriginalListPrice": 450000.5,
    "ClosePrice": 410000.25,
    "BedroomsTotal": 3,
    "BathroomsTotalInteger": 2,
    "LivingArea": 1850.5,
    "LotSizeAcres": 0.25,
    "YearBuilt": 1998,
    "UnparsedAddress": "12 Main St Unit 4",
    "StreetNumber": "12",
    "StreetName": "Main St",
    "UnitNumber": "4",
    "City": "Austin",
    "StateOrProvince": "TX",
    "PostalCode": "78701",
    "Country": "US",
    "Latitude": 30.2672,
    "Longitude": -97.7431,
    "PublicRemarks": "Corner unit.",
    "ListAgentKey": "A7",
    "ListOfficeKey": "O3",
    "ListingContractDate": "2026-01-15",
    "CloseDate": "2026-03-02",
    "PhotosCount": 2,
    "PhotosChangeTimestamp": "2026-01-31T11:00:00+02:00",
    "X_LocalFlag": True,
}
PROPERTY_WITH_MEDIA = {**PROPERTY, "Media": [{"MediaKey": "M1"}], "Media@odata.count": 1}

MEDIA: dict[str, Any] = {
    "MediaKey": "M1",
    "ResourceRecordKey": "L1",
    "Order": 3,
    "MediaURL": "https://example.test/1.jpg",
    "MediaCategory": "Photo",
    "MimeType": "image/jpeg",
    "ShortDescription": "Kitchen",
    "ImageWidth": 1024,
    "ImageHeight": 768,
    "ModificationTimestamp": STAMP,
}

MEMBER: dict[str, Any] = {
    "MemberKey": "A7",
    "ModificationTimestamp": STAMP,
    "MemberMlsId": "MLS-A7",
    "MemberFirstName": "Ann",
    "MemberLastName": "Agent",
    "MemberFullName": "Ann B. Agent",
    "MemberEmail": "ann@example.test",
    "MemberPreferredPhone": "+1 512 555 0100",
    "OfficeKey": "O3",
    "MemberStatus": "Active",
}

OFFICE: dict[str, Any] = {
    "OfficeKey": "O3",
    "ModificationTimestamp": STAMP,
    "OfficeMlsId": "MLS-O3",
    "OfficeName": "Wonder Realty",
    "OfficePhone": "+1 512 555 0199",
    "OfficeEmail": "desk@example.test",
    "OfficeCity": "Round Rock",
    "OfficeStateOrProvince": "TX",
    "OfficePostalCode": "78664",
    "OfficeStatus": "Active",
}


def test_every_property_field_lands_in_its_column() -> None:
    assert normalize_property(PROPERTY_WITH_MEDIA) == NormalizedListing(
        listing_key="L1",
        modification_timestamp=STAMP_UTC,
        listing_id="MLS-1",
        standard_status="Active Under Contract",
        mls_status="Under Contract",
        property_type="Residential",
        property_sub_type="Condominium",
        list_price=Decimal("425000.00"),
        original_list_price=Decimal("450000.50"),
        close_price=Decimal("410000.25"),
        bedrooms_total=3,
        bathrooms_total=2,
        living_area=1850.5,
        lot_size_acres=0.25,
        year_built=1998,
        unparsed_address="12 Main St Unit 4",
        street_number="12",
        street_name="Main St",
        unit_number="4",
        city="Austin",
        state_or_province="TX",
        postal_code="78701",
        country="US",
        latitude=30.2672,
        longitude=-97.7431,
        public_remarks="Corner unit.",
        list_agent_key="A7",
        list_office_key="O3",
        listing_contract_date=date(2026, 1, 15),
        close_date=date(2026, 3, 2),
        photos_count=2,
        photos_change_timestamp=datetime(2026, 1, 31, 9, 0, tzinfo=UTC),
        raw=PROPERTY,  # the record without its expanded Media
        content_hash=reference_hash(PROPERTY),
    )


def test_columns_are_the_listing_row_without_raw_and_hash() -> None:
    listing = normalize_property(PROPERTY)
    assert isinstance(listing, NormalizedListing)
    columns = listing.columns()
    assert columns["listing_key"] == "L1"
    assert columns["city"] == "Austin"
    assert columns["close_date"] == date(2026, 3, 2)
    assert "raw" not in columns
    assert "content_hash" not in columns
    # Every other field of the listing is there, and each is a column of the listings table.
    assert len(columns) == len(listing.__dataclass_fields__) - 2
    assert set(columns) <= set(Listing.__table__.columns.keys())


def test_every_media_field_lands_in_its_column() -> None:
    assert normalize_media(MEDIA) == NormalizedMedia(
        media_key="M1",
        listing_key="L1",
        order=3,
        media_url="https://example.test/1.jpg",
        media_category="Photo",
        mime_type="image/jpeg",
        short_description="Kitchen",
        image_width=1024,
        image_height=768,
        modification_timestamp=STAMP_UTC,
        raw=MEDIA,
    )


def test_expanded_media_takes_its_parent_from_the_listing() -> None:
    item = {"MediaKey": "M2", "Order": 1}
    media = normalize_media(item, listing_key="L1")
    assert isinstance(media, NormalizedMedia)
    assert media.listing_key == "L1"
    assert media.media_key == "M2"
    wrong = normalize_media({"MediaKey": "M3", "ResourceRecordKey": "L9"}, listing_key="L1")
    assert wrong == Rejected("ResourceRecordKey: 'L9' is not the expanding listing 'L1'", "M3")
    same = normalize_media({"MediaKey": "M4", "ResourceRecordKey": "L1"}, listing_key="L1")
    assert isinstance(same, NormalizedMedia)
    assert same.listing_key == "L1"


def test_every_member_field_lands_in_its_column() -> None:
    assert normalize_member(MEMBER) == NormalizedMember(
        member_key="A7",
        modification_timestamp=STAMP_UTC,
        member_mls_id="MLS-A7",
        first_name="Ann",
        last_name="Agent",
        full_name="Ann B. Agent",
        email="ann@example.test",
        phone="+1 512 555 0100",
        office_key="O3",
        status="Active",
        raw=MEMBER,
        content_hash=reference_hash(MEMBER),
    )


def test_every_office_field_lands_in_its_column() -> None:
    assert normalize_office(OFFICE) == NormalizedOffice(
        office_key="O3",
        modification_timestamp=STAMP_UTC,
        office_mls_id="MLS-O3",
        name="Wonder Realty",
        phone="+1 512 555 0199",
        email="desk@example.test",
        city="Round Rock",
        state_or_province="TX",
        postal_code="78664",
        status="Active",
        raw=OFFICE,
        content_hash=reference_hash(OFFICE),
    )


Normalizer = Callable[[object], object]

MINIMAL: dict[Normalizer, dict[str, Any]] = {
    normalize_property: {"ListingKey": "L1", "ModificationTimestamp": STAMP},
    normalize_media: {"MediaKey": "M1", "ResourceRecordKey": "L1"},
    normalize_member: {"MemberKey": "A7", "ModificationTimestamp": STAMP},
    normalize_office: {"OfficeKey": "O3", "ModificationTimestamp": STAMP},
}


def column_length(column: InstrumentedAttribute[Any]) -> int:
    kind = column.property.columns[0].type
    assert isinstance(kind, String)
    assert kind.length is not None
    return kind.length


STRING_FIELDS: list[tuple[Normalizer, str, InstrumentedAttribute[Any]]] = [
    (normalize_property, "ListingId", Listing.listing_id),
    (normalize_property, "MlsStatus", Listing.mls_status),
    (normalize_property, "PropertyType", Listing.property_type),
    (normalize_property, "PropertySubType", Listing.property_sub_type),
    (normalize_property, "UnparsedAddress", Listing.unparsed_address),
    (normalize_property, "StreetNumber", Listing.street_number),
    (normalize_property, "StreetName", Listing.street_name),
    (normalize_property, "UnitNumber", Listing.unit_number),
    (normalize_property, "City", Listing.city),
    (normalize_property, "StateOrProvince", Listing.state_or_province),
    (normalize_property, "PostalCode", Listing.postal_code),
    (normalize_property, "Country", Listing.country),
    (normalize_property, "ListAgentKey", Listing.list_agent_key),
    (normalize_property, "ListOfficeKey", Listing.list_office_key),
    (normalize_media, "ResourceRecordKey", ListingMedia.listing_key),
    (normalize_media, "MediaCategory", ListingMedia.media_category),
    (normalize_media, "MimeType", ListingMedia.mime_type),
    (normalize_member, "MemberMlsId", Member.member_mls_id),
    (normalize_member, "MemberFirstName", Member.first_name),
    (normalize_member, "MemberLastName", Member.last_name),
    (normalize_member, "MemberFullName", Member.full_name),
    (normalize_member, "MemberEmail", Member.email),
    (normalize_member, "MemberPreferredPhone", Member.phone),
    (normalize_member, "OfficeKey", Member.office_key),
    (normalize_member, "MemberStatus", Member.status),
    (normalize_office, "OfficeMlsId", Office.office_mls_id),
    (normalize_office, "OfficeName", Office.name),
    (normalize_office, "OfficePhone", Office.phone),
    (normalize_office, "OfficeEmail", Office.email),
    (normalize_office, "OfficeCity", Office.city),
    (normalize_office, "OfficeStateOrProvince", Office.state_or_province),
    (normalize_office, "OfficePostalCode", Office.postal_code),
    (normalize_office, "OfficeStatus", Office.status),
]


@pytest.mark.parametrize(
    ("normalize", "field", "column"),
    STRING_FIELDS,
    ids=[f"{normalize.__name__}-{field}" for normalize, field, _ in STRING_FIELDS],
)
def test_a_string_as_long_as_its_column_is_kept_one_more_is_rejected(
    normalize: Normalizer, field: str, column: InstrumentedAttribute[Any]
) -> None:
    length = column_length(column)
    fits = normalize({**MINIMAL[normalize], field: "x" * length})
    assert not isinstance(fits, Rejected), fits
    assert getattr(fits, column.key) == "x" * length
    too_long = normalize({**MINIMAL[normalize], field: "x" * (length + 1)})
    assert isinstance(too_long, Rejected)
    assert too_long.reason == f"{field}: length {length + 1} exceeds {length}"


KEY_FIELDS: list[tuple[Normalizer, str, InstrumentedAttribute[Any]]] = [
    (normalize_property, "ListingKey", Listing.listing_key),
    (normalize_media, "MediaKey", ListingMedia.media_key),
    (normalize_member, "MemberKey", Member.member_key),
    (normalize_office, "OfficeKey", Office.office_key),
]


@pytest.mark.parametrize(
    ("normalize", "field", "column"),
    KEY_FIELDS,
    ids=[field for _, field, _ in KEY_FIELDS],
)
def test_record_keys_fill_their_column_and_no_more(
    normalize: Normalizer, field: str, column: InstrumentedAttribute[Any]
) -> None:
    length = column_length(column)
    for usable in ("K", "k" * length):
        fits = normalize({**MINIMAL[normalize], field: usable})
        assert not isinstance(fits, Rejected), fits
        assert getattr(fits, column.key) == usable
    too_long = normalize({**MINIMAL[normalize], field: "k" * (length + 1)})
    # The rejection cannot carry a key the quarantine's column would not hold, nor an empty one.
    assert too_long == Rejected(f"{field}: length {length + 1} is outside 1..{length}", None)
    empty = normalize({**MINIMAL[normalize], field: ""})
    assert empty == Rejected(f"{field}: length 0 is outside 1..{length}", None)


@pytest.mark.parametrize(
    ("normalize", "field"),
    [(normalize, field) for normalize, field, _ in KEY_FIELDS],
    ids=[field for _, field, _ in KEY_FIELDS],
)
def test_a_rejection_carries_the_record_key_when_it_is_usable(
    normalize: Normalizer, field: str
) -> None:
    # ModificationTimestamp is a timestamp on every resource: a number is refused.
    for key in ("K", "k" * 64):
        rejected = normalize({**MINIMAL[normalize], field: key, "ModificationTimestamp": 5})
        assert isinstance(rejected, Rejected)
        assert rejected.reason == "ModificationTimestamp: expected a string, got number"
        assert rejected.key == key


@pytest.mark.parametrize("normalize", list(MINIMAL), ids=lambda n: n.__name__)
def test_a_record_that_is_not_an_object_is_rejected_by_every_normalizer(
    normalize: Normalizer,
) -> None:
    assert normalize([MINIMAL[normalize]]) == Rejected("record: expected a JSON object, got array")
    assert normalize("L1") == Rejected("record: expected a JSON object, got string")


RANGES: list[tuple[Normalizer, str, str, float, float, float, float]] = [
    # normalizer, field, attribute, lowest kept, highest kept, just below, just above
    (normalize_property, "BedroomsTotal", "bedrooms_total", 0, 10_000, -1, 10_001),
    (normalize_property, "BathroomsTotalInteger", "bathrooms_total", 0, 10_000, -1, 10_001),
    (normalize_property, "YearBuilt", "year_built", 1000, 3000, 999, 3001),
    (normalize_property, "PhotosCount", "photos_count", 0, INT32_MAX, -1, INT32_MAX + 1),
    (normalize_property, "LivingArea", "living_area", 0.0, 1e9, -0.5, 1e9 + 1),
    (normalize_property, "LotSizeAcres", "lot_size_acres", 0.0, 1e9, -0.5, 1e9 + 1),
    (normalize_property, "Latitude", "latitude", -90.0, 90.0, -90.5, 90.5),
    (normalize_property, "Longitude", "longitude", -180.0, 180.0, -180.5, 180.5),
    (normalize_media, "Order", "order", -INT32_MAX, INT32_MAX, -(2**31) - 1, INT32_MAX + 1),
    (normalize_media, "ImageWidth", "image_width", 0, INT32_MAX, -1, INT32_MAX + 1),
    (normalize_media, "ImageHeight", "image_height", 0, INT32_MAX, -1, INT32_MAX + 1),
]


@pytest.mark.parametrize(
    ("normalize", "field", "attribute", "lowest", "highest", "below", "above"),
    RANGES,
    ids=[row[1] for row in RANGES],
)
def test_numbers_are_kept_up_to_their_bounds_and_refused_past_them(
    normalize: Normalizer,
    field: str,
    attribute: str,
    lowest: float,
    highest: float,
    below: float,
    above: float,
) -> None:
    for value in (lowest, highest):
        kept = normalize({**MINIMAL[normalize], field: value})
        assert not isinstance(kept, Rejected), kept
        assert getattr(kept, attribute) == value
    for value in (below, above):
        refused = normalize({**MINIMAL[normalize], field: value})
        assert isinstance(refused, Rejected)
        assert refused.reason.startswith(f"{field}: {value} is outside "), refused.reason
