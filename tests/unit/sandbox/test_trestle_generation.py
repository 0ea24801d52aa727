"""Deterministic generation and state changes (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.trestle.data import listing_index, listing_key
from wonder.sandbox.trestle.quota import QuotaTracker
from wonder.sandbox.trestle.records import build_media, build_property
from wonder.sandbox.trestle.schema import load_schema
from wonder.sandbox.trestle.state import ListingStore
from wonder.sandbox.trestle.vocabulary import CITIES, PROPERTY_TYPES

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def store(seed: int = 3, listings: int = 200) -> ListingStore:
    return ListingStore(seed, listings, SandboxClock(START, frozen=True))


def records(s: ListingStore) -> list[dict[str, object]]:
    return [build_property(s.seed, s.state(i), s.roster) for i in s.indexes_by_key()]


def test_same_seed_same_records_and_media() -> None:
    a, b = store(), store()
    assert records(a) == records(b)
    assert build_media(a.seed, a.state(5)) == build_media(b.seed, b.state(5))
    assert records(store(seed=4)) != records(a)


def test_records_use_served_fields_and_enum_members() -> None:
    schema = load_schema().entities["Property"]
    s = store()
    statuses = schema.fields["StandardStatus"].members
    types = schema.fields["PropertyType"].members
    sub_types = schema.fields["PropertySubType"].members
    cities = {c.name for c in CITIES}
    for record in records(s):
        assert set(record) <= set(schema.fields)
        assert record["StandardStatus"] in statuses
        assert record["PropertyType"] in types
        assert record["PropertySubType"] in sub_types
        assert record["City"] in cities
        price = record["ListPrice"]
        # Whole dollars, or (some rents) dollars and cents that a binary float holds exactly.
        assert isinstance(price, int) or (isinstance(price, float) and (price * 4).is_integer())
    cents = [r for r in records(s) if isinstance(r["ListPrice"], float)]
    assert cents
    assert all(r["PropertyType"] == "ResidentialLease" for r in cents)
    assert {p.property_type for p in PROPERTY_TYPES} <= types


def test_keys_roundtrip_and_sort_like_indexes() -> None:
    keys = [listing_key(i) for i in (0, 9, 10, 99_999, 1_000_000)]
    assert keys == sorted(keys)
    assert [listing_index(k) for k in keys] == [0, 9, 10, 99_999, 1_000_000]
    assert listing_index("abc") is None


def test_many_listings_share_timestamps() -> None:
    s = store(listings=500)
    stamps = [s.modified_ts[i] for i in range(s.size)]
    assert len(set(stamps)) < len(stamps) * 0.9


def test_advance_is_seeded_and_keeps_the_index_sorted() -> None:
    a, b = store(), store()
    first = a.advance(
        seconds=60,
        price_changes=10,
        status_changes=5,
        media_changes=5,
        new_listings=3,
        removed_listings=4,
        bad_records=2,
    )
    second = b.advance(
        seconds=60,
        price_changes=10,
        status_changes=5,
        media_changes=5,
        new_listings=3,
        removed_listings=4,
        bad_records=2,
    )
    assert first == second
    assert a.timestamp_order_ok()
    live_by_ts = list(a.indexes_by_timestamp())
    assert sorted(live_by_ts) == list(a.indexes_by_key())


def test_mass_update_rebuilds_index() -> None:
    s = store(listings=3_000)
    result = s.advance(seconds=10, price_changes=2_500, same_timestamp=True)
    assert len(result.price_changes) == 2_500
    assert s.timestamp_order_ok()
    stamps = {s.modified_ts[listing_index(k) or 0] for k in result.price_changes}
    assert len(stamps) == 1


def test_media_changes_move_photos_timestamp_and_keys() -> None:
    s = store()
    result = s.advance(seconds=60, media_changes=3)
    assert len(result.media_changes) == 3
    for key in result.media_changes:
        index = listing_index(key)
        assert index is not None
        media = build_media(s.seed, s.state(index))
        assert len(media) == s.photos_count[index]
        assert all(m["MediaKey"].split("-")[1] == "2" for m in media)
        assert all(m["ModificationTimestamp"] == s.photos_ts[index] for m in media)


def test_quota_windows_roll_on_the_sandbox_clock() -> None:
    clock = SandboxClock(START, frozen=True)
    quota = QuotaTracker(minute_limit=2, hour_limit=3, clock=clock)
    assert quota.consume("c").allowed
    assert quota.consume("c").allowed
    refused = quota.consume("c")
    assert not refused.allowed
    assert refused.headers["Minute-Quota-Available"] == "0"
    assert quota.consume("other").allowed  # per connection
    clock.advance(61)
    assert quota.consume("c").allowed
    clock.advance(61)
    hour_refused = quota.consume("c")
    assert not hour_refused.allowed
    assert hour_refused.headers["Hour-Quota-Available"] == "0"


def test_every_served_lookup_value_is_a_member_of_its_metadata_enum() -> None:
    """What the sandbox serves, its own $filter must accept (the DD spells BuiltInFeatures)."""
    from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig
    from wonder.sandbox.trestle.schema import Kind

    sandbox = TrestleSandbox(TrestleSandboxConfig(listings=400, seed=3))
    fields = sandbox.schema.entities["Property"].fields
    lookups = {n: f for n, f in fields.items() if f.kind in (Kind.ENUM, Kind.MULTI_ENUM)}
    assert "InteriorFeatures" in lookups
    seen: set[str] = set()
    for record in sandbox.truth().values():
        for name, field in lookups.items():
            value = record.get(name)
            if value is None:
                continue
            assert value != "", f"{name} served as '' instead of null"
            values = value.split(",") if field.kind is Kind.MULTI_ENUM else [value]
            unknown = set(values) - field.members
            assert not unknown, f"{name}: {sorted(unknown)} not in {field.enum_name}"
            seen.add(name)
    assert {"InteriorFeatures", "ExteriorFeatures", "Appliances"} <= seen
