from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

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


def property_record(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "ListingKey": "L1",
        "ListingId": "MLS-1",
        "ModificationTimestamp": "2026-01-31T12:00:00.123Z",
        "StandardStatus": "Active",
        "MlsStatus": "Active",
        "PropertyType": "Residential",
        "PropertySubType": "Single Family Residence",
        "ListPrice": 425000,
        "OriginalListPrice": 450000.5,
        "ClosePrice": None,
        "BedroomsTotal": 3,
        "BathroomsTotalInteger": 2,
        "LivingArea": 1850.5,
        "LotSizeAcres": 0.25,
        "YearBuilt": 1998,
        "UnparsedAddress": "12 Main St",
        "City": "Austin",
        "StateOrProvince": "TX",
        "PostalCode": "78701",
        "Country": "US",
        "Latitude": 30.2672,
        "Longitude": -97.7431,
        "ListingContractDate": "2026-01-15",
        "PhotosCount": 2,
        "PhotosChangeTimestamp": "2026-01-31T11:00:00+02:00",
        "Appliances": "Dishwasher,Refrigerator",
        "X_LocalFlag": True,
    }
    record.update(overrides)
    return record


def test_a_full_property_record_normalizes_exactly() -> None:
    listing = normalize_property(property_record())
    assert isinstance(listing, NormalizedListing)
    assert listing.listing_key == "L1"
    assert listing.modification_timestamp == datetime(2026, 1, 31, 12, 0, 0, 123000, tzinfo=UTC)
    assert listing.list_price == Decimal("425000.00")
    assert listing.original_list_price == Decimal("450000.50")
    assert listing.close_price is None
    assert listing.bathrooms_total == 2
    assert listing.listing_contract_date == date(2026, 1, 15)
    # +02:00 converted to UTC.
    assert listing.photos_change_timestamp == datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert not listing.is_delete


def test_multi_value_enums_and_local_fields_stay_in_raw_untouched() -> None:
    listing = normalize_property(property_record())
    assert isinstance(listing, NormalizedListing)
    assert listing.raw["Appliances"] == "Dishwasher,Refrigerator"
    assert listing.raw["X_LocalFlag"] is True


def test_expanded_media_is_not_kept_in_raw_and_does_not_change_the_hash() -> None:
    plain = normalize_property(property_record())
    expanded = normalize_property(
        property_record(Media=[{"MediaKey": "M1"}], **{"Media@odata.count": 1})
    )
    assert isinstance(plain, NormalizedListing)
    assert isinstance(expanded, NormalizedListing)
    assert "Media" not in expanded.raw
    assert "Media@odata.count" not in expanded.raw
    assert expanded.content_hash == plain.content_hash


def test_absent_optional_fields_are_none() -> None:
    listing = normalize_property(
        {"ListingKey": "L2", "ModificationTimestamp": "2026-01-31T12:00:00Z"}
    )
    assert isinstance(listing, NormalizedListing)
    assert listing.list_price is None
    assert listing.city is None
    assert listing.standard_status is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"ListPrice": "call agent"}, "ListPrice: expected a number, got string 'call agent'"),
        ({"BedroomsTotal": "three"}, "BedroomsTotal: expected an integer, got string 'three'"),
        ({"BedroomsTotal": 2.5}, "BedroomsTotal: expected an integer, got number 2.5"),
        ({"BedroomsTotal": True}, "BedroomsTotal: expected an integer, got boolean True"),
        ({"ListingKey": None}, "ListingKey: null"),
        ({"ListingKey": 42}, "ListingKey: expected a string, got number"),
        ({"ListingKey": ""}, "ListingKey: length 0 is outside 1..64"),
        ({"ModificationTimestamp": None}, "ModificationTimestamp: null"),
        ({"ModificationTimestamp": "2026-01-31T12:00:00"}, "ModificationTimestamp: "),
        ({"ModificationTimestamp": "yesterday"}, "ModificationTimestamp: "),
        ({"ModificationTimestamp": "2026-13-31T12:00:00Z"}, "ModificationTimestamp: "),
        ({"StandardStatus": "Sold"}, "StandardStatus: 'Sold' is not a known value"),
        ({"StandardStatus": 3}, "StandardStatus: expected a string, got number"),
        ({"ListPrice": 1.005}, "ListPrice: 1.005 has more than 2 decimal places"),
        ({"ListPrice": float("nan")}, "ListPrice: nan is not finite"),
        ({"ListPrice": 10**13}, "ListPrice: "),
        ({"Latitude": 123.0}, "Latitude: 123.0 is outside -90.0..90.0"),
        ({"PostalCode": "1" * 17}, "PostalCode: length 17 exceeds 16"),
        ({"ListingContractDate": "2026/01/15"}, "ListingContractDate: '2026/01/15' is not a date"),
        ({"ListingContractDate": "2026-02-30"}, "ListingContractDate: '2026-02-30' is not a valid"),
        ({"PhotosCount": -1}, "PhotosCount: -1 is outside"),
        ({"City": ["Austin"]}, "City: expected a string, got array"),
    ],
)
def test_bad_fields_are_rejected_with_a_reason_naming_the_field(
    overrides: dict[str, object], reason: str
) -> None:
    result = normalize_property(property_record(**overrides))
    assert isinstance(result, Rejected)
    assert result.reason.startswith(reason), result.reason


def test_a_rejection_keeps_the_key_when_it_is_usable() -> None:
    result = normalize_property(property_record(ListPrice="call agent"))
    assert isinstance(result, Rejected)
    assert result.key == "L1"
    missing = property_record()
    del missing["ListingKey"]
    result = normalize_property(missing)
    assert result == Rejected("ListingKey: missing", None)


def test_a_record_that_is_not_an_object_is_rejected() -> None:
    assert normalize_property(["L1"]) == Rejected("record: expected a JSON object, got array")
    assert normalize_member(None) == Rejected("record: expected a JSON object, got null")


def test_decimals_stay_exact() -> None:
    result = normalize_property(property_record(ListPrice=1234567.89))
    assert isinstance(result, NormalizedListing)
    assert result.list_price == Decimal("1234567.89")
    result = normalize_property(property_record(ListPrice=Decimal("0.10")))
    assert isinstance(result, NormalizedListing)
    assert str(result.list_price) == "0.10"


def test_delete_status_marks_the_listing_deleted() -> None:
    result = normalize_property(property_record(StandardStatus="Delete"))
    assert isinstance(result, NormalizedListing)
    assert result.is_delete


def test_media_member_office() -> None:
    media = normalize_media(
        {
            "MediaKey": "M1",
            "ResourceRecordKey": "L1",
            "Order": 1,
            "MediaURL": "https://example.test/1.jpg",
            "ImageWidth": 1024,
            "ModificationTimestamp": "2026-01-31T12:00:00Z",
        }
    )
    assert isinstance(media, NormalizedMedia)
    assert media.listing_key == "L1"
    assert media.order == 1
    # Expanded media may omit the parent key; a different parent is an error.
    assert isinstance(normalize_media({"MediaKey": "M2"}, listing_key="L1"), NormalizedMedia)
    wrong = normalize_media({"MediaKey": "M3", "ResourceRecordKey": "L9"}, listing_key="L1")
    assert isinstance(wrong, Rejected)
    assert wrong.reason.startswith("ResourceRecordKey:")
    assert normalize_media({"MediaKey": "M4"}) == Rejected("ResourceRecordKey: missing", "M4")
    assert normalize_media({"MediaKey": "M5", "ResourceRecordKey": "L1", "Order": "1"}) == (
        Rejected("Order: expected an integer, got string '1'", "M5")
    )

    member = normalize_member(
        {
            "MemberKey": "A1",
            "MemberFullName": "Ann Agent",
            "MemberEmail": "ann@example.test",
            "ModificationTimestamp": "2026-01-31T12:00:00Z",
        }
    )
    assert isinstance(member, NormalizedMember)
    assert member.full_name == "Ann Agent"
    assert normalize_member({"MemberKey": "A1"}) == Rejected("ModificationTimestamp: missing", "A1")

    office = normalize_office(
        {"OfficeKey": "O1", "OfficeName": "Wonder", "ModificationTimestamp": "2026-01-31T12:00Z"}
    )
    assert isinstance(office, NormalizedOffice)
    assert office.name == "Wonder"
    bad = normalize_office({"OfficeKey": "O1", "OfficeName": 5, "ModificationTimestamp": "x"})
    assert isinstance(bad, Rejected)
    assert bad.reason.startswith("ModificationTimestamp:")


@pytest.mark.parametrize(
    ("received", "stored"),
    [
        ("ActiveUnderContract", "Active Under Contract"),
        ("Active Under Contract", "Active Under Contract"),
        ("ComingSoon", "Coming Soon"),
        ("Delete", "Delete"),
    ],
)
def test_enum_member_names_and_display_strings_are_both_accepted(
    received: str, stored: str
) -> None:
    result = normalize_property(property_record(StandardStatus=received))
    assert isinstance(result, NormalizedListing)
    assert result.standard_status == stored
    assert result.raw["StandardStatus"] == received
