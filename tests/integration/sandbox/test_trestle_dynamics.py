"""The Trestle sandbox over real HTTP: replication, incremental keyset paging, quota, faults,
advance semantics, control endpoints and determinism."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.trestle_fixtures import RunningTrestle
from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def bearer(trestle: RunningTrestle, http: httpx.Client) -> dict[str, str]:
    response = http.post(
        trestle.token_url,
        data={
            "client_id": trestle.settings.client_id,
            "client_secret": trestle.settings.client_secret.get_secret_value(),
            "grant_type": "client_credentials",
            "scope": "api",
        },
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def census(trestle: RunningTrestle, http: httpx.Client, headers: dict[str, str]) -> set[str]:
    response = http.get(
        f"{trestle.odata_url}/Property",
        params={"$select": "ListingKey", "$top": "300000"},
        headers=headers,
    )
    assert response.status_code == 200
    return {row["ListingKey"] for row in response.json()["value"]}


def test_replication_walks_every_key_once_while_data_changes(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    before = census(trestle_sandbox, http, headers)
    url: str | None = (
        f"{trestle_sandbox.odata_url}/Property?$top=7&$orderby=ListingKey&replication=true"
    )
    seen: list[str] = []
    pages = 0
    changes: dict[str, Any] = {}
    while url:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(row["ListingKey"] for row in body["value"])
        url = body.get("@odata.nextLink")
        pages += 1
        if pages == 3:
            changes = trestle_sandbox.sandbox.advance(
                seconds=30,
                price_changes=6,
                status_changes=4,
                media_changes=3,
                new_listings=5,
                removed_listings=6,
            ).as_dict()
    assert len(body["value"]) < 7  # the walk ends on a short (possibly empty) page
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    vanished = set(changes["vanished"])
    after = census(trestle_sandbox, http, headers)
    # Everything that existed throughout the walk was delivered, and new listings too.
    assert (before - vanished) <= set(seen)
    assert set(changes["new_listings"]) <= set(seen)
    assert set(seen) <= before | set(changes["new_listings"])
    assert after == (before - vanished) | set(changes["new_listings"])


def test_replication_link_expires_after_five_idle_minutes(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    first = http.get(
        f"{trestle_sandbox.odata_url}/Property",
        params={"$top": "10", "replication": "true", "$select": "ListingKey"},
        headers=headers,
    ).json()
    link = first["@odata.nextLink"]
    trestle_sandbox.sandbox.advance(seconds=200)
    assert http.get(link, headers=headers).status_code == 200  # still fresh; idle time restarts
    second_link = http.get(link, headers=headers).json()["@odata.nextLink"]
    trestle_sandbox.sandbox.advance(seconds=301)
    expired = http.get(second_link, headers=headers)
    assert expired.status_code == 400
    assert "expired" in expired.json()["error"]["message"]


def test_replication_link_retried_gives_the_same_page(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    first = http.get(
        f"{trestle_sandbox.odata_url}/Property",
        params={"$top": "10", "replication": "true", "$select": "ListingKey"},
        headers=headers,
    ).json()
    link = first["@odata.nextLink"]
    assert http.get(link, headers=headers).json() == http.get(link, headers=headers).json()


def test_incremental_keyset_paging_over_a_mass_update(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    sandbox = trestle_sandbox.sandbox
    high_water = max(row["ModificationTimestamp"] for row in sandbox.truth().values())
    touched = sandbox.advance(seconds=60, price_changes=25, same_timestamp=True)
    stamps = {sandbox.truth()[key]["ModificationTimestamp"] for key in touched.price_changes}
    assert len(stamps) == 1  # one timestamp for the whole remap
    cursor_ts, cursor_key = high_water, ""
    collected: list[str] = []
    while True:
        condition = f"ModificationTimestamp gt {cursor_ts}"
        if cursor_key:
            condition += (
                f" or (ModificationTimestamp eq {cursor_ts} and ListingKey gt '{cursor_key}')"
            )
        response = http.get(
            f"{trestle_sandbox.odata_url}/Property",
            params={
                "$filter": condition,
                "$orderby": "ModificationTimestamp asc,ListingKey asc",
                "$top": "4",
                "$select": "ListingKey,ModificationTimestamp",
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        rows = response.json()["value"]
        if not rows:
            break
        collected.extend(row["ListingKey"] for row in rows)
        cursor_ts, cursor_key = rows[-1]["ModificationTimestamp"], rows[-1]["ListingKey"]
    assert sorted(collected) == sorted(touched.price_changes)
    assert len(collected) == len(set(collected))


def test_quota_headers_count_down_then_429(make_trestle_sandbox: Any, http: httpx.Client) -> None:
    trestle = make_trestle_sandbox(minute_quota=5)
    headers = bearer(trestle, http)
    url = f"{trestle.odata_url}/Property"
    available = []
    for _ in range(5):
        response = http.get(url, params={"$top": "1"}, headers=headers)
        assert response.status_code == 200
        assert response.headers["Minute-Quota-Limit"] == "5"
        assert response.headers["Hour-Quota-Limit"] == "720000"
        assert int(response.headers["Hour-Quota-ResetTime"]) > 1_700_000_000_000
        available.append(int(response.headers["Minute-Quota-Available"]))
    assert available == [4, 3, 2, 1, 0]
    refused = http.get(url, params={"$top": "1"}, headers=headers)
    assert refused.status_code == 429
    assert "Retry-After" not in refused.headers
    assert refused.headers["Minute-Quota-Available"] == "0"
    assert refused.json()["error"]["code"] == "TooManyRequests"
    trestle.sandbox.advance(seconds=61)
    assert http.get(url, params={"$top": "1"}, headers=headers).status_code == 200


def test_realistic_profile_has_the_real_limits(
    make_trestle_sandbox: Any, http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(profile="realistic")
    response = http.get(
        f"{trestle.odata_url}/Office", params={"$top": "1"}, headers=bearer(trestle, http)
    )
    assert response.headers["Minute-Quota-Limit"] == "180"
    assert response.headers["Hour-Quota-Limit"] == "7200"


def test_error_fault_answers_5xx_odata_errors(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    trestle_sandbox.sandbox.set_faults(error_rate=1.0)
    statuses = set()
    for _ in range(12):
        response = http.get(f"{trestle_sandbox.odata_url}/Property", headers=headers)
        statuses.add(response.status_code)
        assert "message" in response.json()["error"]
    assert statuses <= {500, 503, 504}
    assert len(statuses) > 1
    # Control endpoints are never faulted.
    assert http.get(f"{trestle_sandbox.base_url}/_sandbox/stats").status_code == 200


def test_drop_fault_closes_the_connection(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    trestle_sandbox.sandbox.set_faults(drop_rate=1.0)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get(f"{trestle_sandbox.odata_url}/Property", headers=headers)
    trestle_sandbox.sandbox.set_faults()
    assert http.get(f"{trestle_sandbox.odata_url}/Property", headers=headers).status_code == 200


def test_truncate_fault_sends_a_cut_body_with_status_200(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    trestle_sandbox.sandbox.set_faults(truncate_rate=1.0)
    response = http.get(f"{trestle_sandbox.odata_url}/Property", headers=headers)
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r".+"):
        response.json()


def test_burst_429_then_normal(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    headers = bearer(trestle_sandbox, http)
    http.post(f"{trestle_sandbox.base_url}/_sandbox/faults", json={"burst_429": 2})
    url = f"{trestle_sandbox.odata_url}/Property"
    codes = [http.get(url, headers=headers).status_code for _ in range(3)]
    assert codes == [429, 429, 200]


def test_latency_fault_still_answers(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    headers = bearer(trestle_sandbox, http)
    trestle_sandbox.sandbox.set_faults(latency_ms=20)
    assert http.get(f"{trestle_sandbox.odata_url}/Member", headers=headers).status_code == 200


def test_empty_expand_fault_hides_media_of_photographed_listings(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    url = f"{trestle_sandbox.odata_url}/Property"
    params = {"$expand": "Media", "$top": "20", "$filter": "PhotosCount gt 0"}
    normal = http.get(url, params=params, headers=headers).json()["value"]
    assert normal
    for row in normal:
        assert len(row["Media"]) == row["PhotosCount"]
        assert [m["Order"] for m in row["Media"]] == list(range(1, row["PhotosCount"] + 1))
        assert {m["ResourceRecordKey"] for m in row["Media"]} == {row["ListingKey"]}
    trestle_sandbox.sandbox.set_faults(empty_expand_rate=1.0)
    faulted = http.get(url, params=params, headers=headers).json()["value"]
    assert [row["ListingKey"] for row in faulted] == [row["ListingKey"] for row in normal]
    assert all(row["Media"] == [] and row["PhotosCount"] > 0 for row in faulted)


def test_advance_semantics(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    sandbox = trestle_sandbox.sandbox
    headers = bearer(trestle_sandbox, http)
    before = sandbox.truth()
    high_water = max(row["ModificationTimestamp"] for row in before.values())
    response = http.post(
        f"{trestle_sandbox.base_url}/_sandbox/advance",
        json={
            "seconds": 600,
            "price_changes": 4,
            "status_changes": 3,
            "media_changes": 3,
            "new_listings": 2,
            "removed_listings": 6,
            "bad_records": 3,
            "same_timestamp": False,
        },
    )
    assert response.status_code == 200
    changes = response.json()
    after = sandbox.truth()
    assert len(changes["price_changes"]) == 4
    assert len(changes["media_changes"]) == 3
    assert len(changes["new_listings"]) == 2
    for key in changes["price_changes"]:
        if key in after and key not in changes["removed_listings"]:
            assert after[key]["ModificationTimestamp"] > before[key]["ModificationTimestamp"]
    for key in changes["media_changes"]:
        if key in after:
            assert after[key]["PhotosChangeTimestamp"] > before[key]["PhotosChangeTimestamp"]
    assert set(changes["vanished"]) | set(changes["marked_deleted"]) == set(
        changes["removed_listings"]
    )
    assert changes["vanished"]
    assert changes["marked_deleted"]
    for key in changes["vanished"]:
        assert key not in after
    for key in changes["marked_deleted"]:
        assert after[key]["StandardStatus"] == "Delete"
    for key in changes["new_listings"]:
        assert key not in before
        assert after[key]["StandardStatus"] == "Active"
    bad = [r for r in after.values() if r.get("ListPrice") == "call agent"]
    bad += [r for r in after.values() if r.get("BedroomsTotal") == "three"]
    keyless = [r for r in after.values() if "ListingKey" not in r]
    assert len(bad) + len(keyless) == 3
    incremental = http.get(
        f"{trestle_sandbox.odata_url}/Property",
        params={
            "$filter": f"ModificationTimestamp gt {high_water}",
            "$select": "ListingKey",
            "$top": "1000",
        },
        headers=headers,
    )
    assert incremental.status_code == 200
    touched = {
        *changes["price_changes"],
        *changes["status_changes"],
        *changes["media_changes"],
        *changes["new_listings"],
        *changes["marked_deleted"],
        *changes["bad_records"],
    } - set(changes["vanished"])
    served = {row.get("ListingKey") for row in incremental.json()["value"]}
    assert served - {None} == touched - {k for k in touched if "ListingKey" not in after[k]}


def test_control_endpoints_stats_and_reset(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(trestle_sandbox, http)
    http.get(f"{trestle_sandbox.odata_url}/Property", headers=headers)
    http.get(f"{trestle_sandbox.odata_url}/Nope", headers=headers)
    stats = http.get(f"{trestle_sandbox.base_url}/_sandbox/stats").json()
    assert stats["requests"]["GET /trestle/odata/Property 200"] == 1
    assert stats["requests"]["GET /trestle/odata/Nope 404"] == 1
    assert stats["quota"]["sandbox-client"]["total_used"] == 2
    original = trestle_sandbox.sandbox.truth()
    http.post(f"{trestle_sandbox.base_url}/_sandbox/advance", json={"price_changes": 5})
    assert trestle_sandbox.sandbox.truth() != original
    assert http.post(f"{trestle_sandbox.base_url}/_sandbox/reset").status_code == 200
    assert http.get(f"{trestle_sandbox.base_url}/_sandbox/stats").json()["requests"] == {}
    bad = http.post(f"{trestle_sandbox.base_url}/_sandbox/advance", json={"typo": 1})
    assert bad.status_code == 400


def test_same_seed_same_data_and_changes() -> None:
    config = TrestleSandboxConfig(listings=40, seed=7, start_time=START, frozen_clock=True)
    first, second = TrestleSandbox(config), TrestleSandbox(config)
    assert first.truth() == second.truth()
    assert first.advance(seconds=60, price_changes=5, new_listings=2).as_dict() == (
        second.advance(seconds=60, price_changes=5, new_listings=2).as_dict()
    )
    assert first.truth() == second.truth()
    other = TrestleSandbox(config.model_copy(update={"seed": 8}))
    assert other.truth() != first.truth()


def test_media_and_member_resources(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    headers = bearer(trestle_sandbox, http)
    truth = trestle_sandbox.sandbox.truth()
    with_photos = [key for key, row in truth.items() if row["PhotosCount"] > 2][:2]
    condition = " or ".join(f"ResourceRecordKey eq '{key}'" for key in with_photos)
    media = http.get(
        f"{trestle_sandbox.odata_url}/Media",
        params={"$filter": condition, "$orderby": "ResourceRecordKey,Order", "$top": "100"},
        headers=headers,
    ).json()["value"]
    assert len(media) == sum(truth[key]["PhotosCount"] for key in with_photos)
    members = http.get(
        f"{trestle_sandbox.odata_url}/Member",
        params={"$top": "3", "$count": "true"},
        headers=headers,
    ).json()
    assert members["@odata.count"] >= 3
    assert {"MemberKey", "OfficeKey", "MemberStatus"} <= set(members["value"][0])
    one_key = with_photos[0]
    single = http.get(f"{trestle_sandbox.odata_url}/Property('{one_key}')", headers=headers)
    assert single.status_code == 200
    assert single.json()["ListingKey"] == one_key
