"""The Trestle sandbox's own knobs: the advance kinds, the empty-media fault, the limits per
speed profile (no HTTP: the sandbox's Python API and its one ``handle`` core)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError

from wonder.sandbox.trestle import TrestleAdvance, TrestleSandbox, TrestleSandboxConfig
from wonder.sandbox.trestle.config import trestle_limits

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def sandbox(listings: int = 40, seed: int = 5) -> TrestleSandbox:
    config = TrestleSandboxConfig(listings=listings, seed=seed, start_time=START, frozen_clock=True)
    return TrestleSandbox(config)


def test_a_remap_moves_the_timestamp_and_nothing_else() -> None:
    trestle = sandbox()
    before, media_before = trestle.truth(), trestle.media_truth()
    touched = trestle.advance(seconds=120, remapped=10, same_timestamp=True)
    after = trestle.truth()
    assert len(touched.remapped) == 10
    stamps = {after[key]["ModificationTimestamp"] for key in touched.remapped}
    assert len(stamps) == 1
    for key in touched.remapped:
        assert after[key]["ModificationTimestamp"] > before[key]["ModificationTimestamp"]
        moved = {name for name in after[key] if after[key][name] != before[key][name]}
        # Days on market count to the modification for listings still on the market.
        assert moved <= {"ModificationTimestamp", "DaysOnMarket", "CumulativeDaysOnMarket"}
    assert trestle.media_truth() == media_before
    untouched = set(before) - set(touched.remapped)
    assert all(after[key] == before[key] for key in untouched)


def test_deleted_and_vanished_listings_are_exact() -> None:
    trestle = sandbox()
    before = trestle.truth()
    touched = trestle.advance(seconds=60, deleted_listings=3, vanished_listings=4)
    after = trestle.truth()
    assert len(touched.marked_deleted) == 3
    assert len(touched.vanished) == 4
    assert set(touched.removed_listings) == set(touched.marked_deleted) | set(touched.vanished)
    assert set(after) == set(before) - set(touched.vanished)
    assert all(after[key]["StandardStatus"] == "Delete" for key in touched.marked_deleted)
    assert trestle.stats()["listings"]["live"] == len(before) - 4


def test_a_new_kind_left_at_zero_changes_nothing_the_others_pick() -> None:
    plain = sandbox().advance(seconds=60, price_changes=4, removed_listings=3)
    extended = sandbox().advance(
        seconds=60, price_changes=4, removed_listings=3, vanished_listings=2, remapped=5
    )
    assert extended.price_changes == plain.price_changes
    assert extended.removed_listings[: len(plain.removed_listings)] == plain.removed_listings


def test_the_advance_request_is_typed() -> None:
    with pytest.raises(ValidationError):
        TrestleAdvance(seconds=-1)
    with pytest.raises(ValidationError):
        TrestleAdvance.model_validate({"remaped": 3})
    trestle = sandbox()
    assert trestle.apply_advance(TrestleAdvance(remapped=2)).remapped


def test_empty_media_fault_leaves_listings_out_of_media_reads() -> None:
    trestle = sandbox(listings=12)
    photographed = {key for key, items in trestle.media_truth().items() if items}
    with httpx.Client(base_url="http://t.test", transport=trestle.transport()) as http:
        token = http.post(
            "/trestle/oidc/connect/token",
            data={
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        params = {"$top": "1000"}
        full = http.get("/trestle/odata/Media", params=params, headers=headers).json()["value"]
        assert {m["ResourceRecordKey"] for m in full} == photographed
        trestle.set_faults(empty_media_rate=1.0)
        empty = http.get("/trestle/odata/Media", params=params, headers=headers).json()["value"]
        # $expand is governed by its own knob.
        expanded = http.get(
            "/trestle/odata/Property", params={"$expand": "Media"}, headers=headers
        ).json()["value"]
    assert empty == []
    assert trestle.stats()["faults_injected"]["empty_media"] == len(photographed)
    assert any(row["Media"] for row in expanded)


def test_fast_profile_scales_the_real_quota() -> None:
    realistic, fast = trestle_limits("realistic"), trestle_limits("fast")
    assert (realistic.minute_quota, realistic.hour_quota) == (180, 7_200)
    assert (fast.minute_quota, fast.hour_quota) == (18_000, 720_000)
    with pytest.raises(ValueError, match="unknown profile"):
        trestle_limits("turbo")
    config = TrestleSandboxConfig(profile="fast", minute_quota=5)
    assert (config.limits().minute_quota, config.limits().hour_quota) == (5, 720_000)
    # Media downloads have their own quota (API-FACTS: 18,000/hour, 480/minute).
    assert (realistic.media_minute_quota, realistic.media_hour_quota) == (480, 18_000)
    assert (fast.media_minute_quota, fast.media_hour_quota) == (48_000, 1_800_000)
    media = TrestleSandboxConfig(profile="fast", media_hour_quota=7).limits()
    assert (media.media_minute_quota, media.media_hour_quota, media.minute_quota) == (
        48_000,
        7,
        18_000,
    )
