from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from wonder.db.models import HistoryField
from wonder.ingest.delete_guard import plan_deletes
from wonder.listings.changes import (
    Action,
    HistoryEntry,
    MediaAction,
    StoredListing,
    decide,
    decide_media,
    deleted_at_after,
)
from wonder.listings.normalize import NormalizedListing, normalize_property

T0 = datetime(2026, 1, 31, 12, tzinfo=UTC)


def incoming(ts: datetime = T0, **fields: object) -> NormalizedListing:
    record: dict[str, object] = {
        "ListingKey": "L1",
        "ModificationTimestamp": ts.isoformat().replace("+00:00", "Z"),
        "StandardStatus": "Active",
        "ListPrice": 100000,
    }
    record.update(fields)
    result = normalize_property(record)
    assert isinstance(result, NormalizedListing)
    return result


def stored_from(listing: NormalizedListing, **overrides: object) -> StoredListing:
    values: dict[str, object] = {
        "listing_key": listing.listing_key,
        "modification_timestamp": listing.modification_timestamp,
        "content_hash": listing.content_hash,
        "list_price": listing.list_price,
        "standard_status": listing.standard_status,
        "deleted_at": None,
        "photos_change_timestamp": listing.photos_change_timestamp,
        "media_synced_timestamp": listing.photos_change_timestamp,
    }
    values.update(overrides)
    return StoredListing(**values)  # type: ignore[arg-type]


def test_new_listing_is_inserted_without_history() -> None:
    assert decide(None, incoming()) == decide(None, incoming())
    decision = decide(None, incoming())
    assert decision.action is Action.INSERT
    assert decision.history == ()


def test_same_record_again_is_unchanged() -> None:
    listing = incoming()
    assert decide(stored_from(listing), listing).action is Action.UNCHANGED


def test_an_older_version_never_overwrites_a_newer_one() -> None:
    newer = incoming(T0 + timedelta(minutes=5), ListPrice=90000)
    older = incoming(T0)
    assert decide(stored_from(newer), older).action is Action.UNCHANGED


def test_price_and_status_changes_write_history() -> None:
    before = incoming()
    after = incoming(T0 + timedelta(minutes=1), ListPrice=95000.5, StandardStatus="Pending")
    decision = decide(stored_from(before), after)
    assert decision.action is Action.UPDATE
    changed_at = T0 + timedelta(minutes=1)
    assert decision.history == (
        HistoryEntry("L1", HistoryField.LIST_PRICE, "100000.00", "95000.50", changed_at),
        HistoryEntry("L1", HistoryField.STANDARD_STATUS, "Active", "Pending", changed_at),
    )


def test_other_changes_update_without_history() -> None:
    before = incoming()
    after = incoming(T0 + timedelta(minutes=1), City="Austin")
    decision = decide(stored_from(before), after)
    assert decision.action is Action.UPDATE
    assert decision.history == ()


def test_same_timestamp_different_content_is_an_update() -> None:
    before = incoming()
    after = incoming(City="Austin")
    assert decide(stored_from(before), after).action is Action.UPDATE


def test_delete_status_soft_deletes_once() -> None:
    before = incoming()
    gone = incoming(T0 + timedelta(minutes=1), StandardStatus="Delete")
    decision = decide(stored_from(before), gone)
    assert decision.deletes
    now = T0 + timedelta(hours=1)
    assert deleted_at_after(stored_from(before), gone, now) == now
    already = stored_from(before, deleted_at=T0)
    assert not decide(already, gone).deletes
    assert deleted_at_after(already, gone, now) == T0
    # A listing that comes back is live again.
    assert deleted_at_after(already, incoming(T0 + timedelta(hours=2)), now) is None
    assert decide(None, gone).deletes


def test_media_decisions() -> None:
    pct = T0
    assert decide_media(None, False, pct, 3, None) is MediaAction.KEEP
    assert decide_media(None, False, pct, 3, 3) is MediaAction.REPLACE
    assert decide_media(pct, True, pct, 3, 3) is MediaAction.KEEP
    assert decide_media(pct - timedelta(1), True, pct, 3, 3) is MediaAction.REPLACE
    assert decide_media(None, False, pct, 3, 0) is MediaAction.REFETCH_LATER
    assert decide_media(None, False, pct, 0, 0) is MediaAction.REPLACE
    assert decide_media(None, False, None, None, 0) is MediaAction.REPLACE


def test_census_deletes_missing_keys_under_the_guard() -> None:
    stored = [f"L{i:03d}" for i in range(100)]
    source = set(stored) - {"L005", "L050"}
    plan = plan_deletes(stored, source, mass_delete_fraction=0.05, mass_delete_min_rows=1)
    assert plan.missing == ("L005", "L050")
    assert not plan.held
    assert plan.deletes == ("L005", "L050")
    assert plan.stored_count == 100


def test_census_holds_a_mass_delete() -> None:
    stored = [f"L{i:03d}" for i in range(100)]
    source = set(stored[:80])
    plan = plan_deletes(stored, source, mass_delete_fraction=0.05, mass_delete_min_rows=10)
    assert plan.held
    assert len(plan.missing) == 20
    assert plan.deletes == ()


def test_census_small_databases_are_not_held_below_min_rows() -> None:
    stored = [f"L{i:03d}" for i in range(10)]
    plan = plan_deletes(stored, stored[:5], mass_delete_fraction=0.05, mass_delete_min_rows=50)
    assert not plan.held
    assert len(plan.deletes) == 5


def test_census_with_nothing_stored() -> None:
    plan = plan_deletes([], {"L1"}, mass_delete_fraction=0.05, mass_delete_min_rows=0)
    assert plan.missing == ()
    assert not plan.held


def test_decimal_history_text() -> None:
    before = incoming(ListPrice=Decimal("10.10"))
    after = incoming(T0 + timedelta(seconds=1), ListPrice=None)
    (entry,) = decide(stored_from(before), after).history
    assert (entry.old_value, entry.new_value) == ("10.10", None)


def test_one_photo_announced_and_none_sent_is_refetched_later() -> None:
    assert decide_media(None, False, T0, 1, 0) is MediaAction.REFETCH_LATER
    assert decide_media(T0 - timedelta(1), True, T0, 1, 0) is MediaAction.REFETCH_LATER


def test_census_holds_only_past_both_guards() -> None:
    # "Exceed the fraction" and "more than the minimum": reaching either is not enough.
    stored = [f"L{i:03d}" for i in range(100)]
    at_fraction = plan_deletes(
        stored, stored[5:], mass_delete_fraction=0.05, mass_delete_min_rows=1
    )
    assert (len(at_fraction.missing), at_fraction.held) == (5, False)
    assert len(at_fraction.deletes) == 5
    past_fraction = plan_deletes(
        stored, stored[6:], mass_delete_fraction=0.05, mass_delete_min_rows=1
    )
    assert (len(past_fraction.missing), past_fraction.held) == (6, True)
    at_minimum = plan_deletes(
        stored, stored[10:], mass_delete_fraction=0.05, mass_delete_min_rows=10
    )
    assert (len(at_minimum.missing), at_minimum.held) == (10, False)
    past_minimum = plan_deletes(
        stored, stored[11:], mass_delete_fraction=0.05, mass_delete_min_rows=10
    )
    assert (len(past_minimum.missing), past_minimum.held) == (11, True)


def test_census_accepts_any_collection_of_source_keys() -> None:
    stored = ["L1", "L2", "L3"]
    for source in (["L1", "L3"], ("L3", "L1"), {"L1", "L3"}, frozenset({"L1", "L3"})):
        plan = plan_deletes(stored, source, mass_delete_fraction=1.0, mass_delete_min_rows=5)
        assert plan.missing == ("L2",)
        assert plan.deletes == ("L2",)
