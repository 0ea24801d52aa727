"""``TrestleSandbox.intended()``: what the sandbox means to serve, from its generator state, must
agree with what it serves (else an oracle built on it would be wrong), and must list every
record it corrupted on purpose, no more."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal

from tests.trestle_fixtures import moment, status
from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig
from wonder.sandbox.trestle.data import CORRUPTIONS
from wonder.sandbox.trestle.schema import load_schema
from wonder.sandbox.trestle.vocabulary import STATUS_DISPLAY

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BASE = "http://trestle.test"


def sandbox(listings: int = 120, seed: int = 8) -> TrestleSandbox:
    config = TrestleSandboxConfig(listings=listings, seed=seed, start_time=START, frozen_clock=True)
    return TrestleSandbox(config)


def test_status_display_names_are_the_metadata_standard_names() -> None:
    edm = "{http://docs.oasis-open.org/odata/ns/edm}"
    root = ET.fromstring(load_schema().xml)
    names = {}
    for enum in root.iter(f"{edm}EnumType"):
        if enum.attrib["Name"] == "StandardStatus":
            for member in enum.findall(f"{edm}Member"):
                note = member.find(f"{edm}Annotation[@Term='RESO.OData.Metadata.StandardName']")
                assert note is not None
                names[member.attrib["Name"]] = note.attrib["String"]
    assert names == STATUS_DISPLAY


def test_intended_values_are_what_the_records_serve() -> None:
    trestle = sandbox()
    trestle.advance(seconds=900, price_changes=20, status_changes=20, removed_listings=6)
    intended, served = trestle.intended(BASE), trestle.truth()
    assert set(intended.live()) == set(served)
    assert any(item.price % 1 for item in intended.live().values())  # some rents have cents
    for key, item in intended.live().items():
        record = served[key]
        assert item.corruption is None
        assert isinstance(item.price, Decimal)
        assert item.price == Decimal(str(record["ListPrice"]))
        assert item.original_price == Decimal(str(record["OriginalListPrice"]))
        assert item.close_price == (
            None if record["ClosePrice"] is None else Decimal(record["ClosePrice"])
        )
        assert item.status == status(record)
        assert item.deleted == (record["StandardStatus"] == "Delete")
        assert (item.bedrooms, item.bathrooms) == (
            record["BedroomsTotal"],
            record["BathroomsTotalInteger"],
        )
        assert (item.living_area, item.latitude, item.longitude) == (
            record["LivingArea"],
            record["Latitude"],
            record["Longitude"],
        )
        assert (item.city, item.postal_code, item.address) == (
            record["City"],
            record["PostalCode"],
            record["UnparsedAddress"],
        )
        assert item.modified == moment(record["ModificationTimestamp"])
        assert item.photos_changed == moment(record["PhotosChangeTimestamp"])
        assert item.modified.tzinfo is not None
        assert item.photos_count == record["PhotosCount"] == len(item.media)
        assert item.contract_date.isoformat() == record["ListingContractDate"]
        assert record["CloseDate"] == (item.close_date.isoformat() if item.close_date else None)
    media = trestle.media_truth(BASE)
    for key, item in intended.live().items():
        assert [(m.media_key, m.order, m.url) for m in item.media] == [
            (m["MediaKey"], m["Order"], m["MediaURL"]) for m in media[key]
        ]
        assert all(m.url.startswith(f"{BASE}/trestle/media/Property/{key}/") for m in item.media)


def test_vanished_listings_are_deleted_and_kept() -> None:
    trestle = sandbox(listings=40)
    touched = trestle.advance(seconds=60, vanished_listings=3, deleted_listings=2)
    intended = trestle.intended()
    assert len(intended.listings) == 40
    for key in touched.vanished:
        assert intended.listings[key].vanished
        assert intended.listings[key].deleted
        assert key not in intended.live()
    for key in touched.marked_deleted:
        item = intended.listings[key]
        assert (item.deleted, item.vanished, item.status) == (True, False, "Delete")


def test_every_corruption_is_listed_with_its_field_and_reason() -> None:
    trestle = sandbox()
    touched = trestle.advance(seconds=300, bad_records=6)
    intended, served = trestle.intended(), trestle.truth()
    assert [bad.listing_key for bad in intended.corrupted] == touched.bad_records
    assert {bad.field for bad in intended.corrupted} == {k.field for k in CORRUPTIONS.values()}
    for bad in intended.corrupted:
        record = served[bad.listing_key]
        listing = intended.listings[bad.listing_key]
        assert listing.corruption == bad
        assert bad.modification_timestamp == listing.modified
        assert bad.field in bad.reason
        if bad.served is None:
            assert bad.field not in record
        else:
            assert record[bad.field] == bad.served
        assert record["ListingId"] == bad.listing_id
    # Nothing else is served corrupted.
    for key, record in served.items():
        if key not in touched.bad_records:
            assert isinstance(record["ListPrice"], int | float), key
            assert record.get("ListingKey") == key


def test_a_corruption_undone_in_its_advance_was_never_served() -> None:
    trestle = sandbox()
    # Removals run after corruptions in an advance: some of the corrupted may be removed again.
    trestle.advance(seconds=300, bad_records=30, deleted_listings=60)
    intended = trestle.intended()
    still_bad = {k for k, item in intended.live().items() if item.corruption is not None}
    assert {bad.listing_key for bad in intended.corrupted} == still_bad
    assert 0 < len(still_bad) < 30


def test_a_fixed_corruption_stays_listed_and_a_remapped_one_is_listed_again() -> None:
    trestle = sandbox(listings=30)
    first = trestle.advance(seconds=60, bad_records=3)
    trestle.advance(seconds=60, remapped=30)  # every listing: the corrupted ones too
    trestle.advance(seconds=60, price_changes=30)  # touches each non-deleted: fixes them
    intended = trestle.intended()
    listed = [bad.listing_key for bad in intended.corrupted]
    assert sorted(listed) == sorted(first.bad_records * 2)
    for key in first.bad_records:
        versions = [b.modification_timestamp for b in intended.corrupted if b.listing_key == key]
        assert len(set(versions)) == 2  # the corrupted version, then its remap
        assert intended.listings[key].corruption is None  # fixed by the price change
