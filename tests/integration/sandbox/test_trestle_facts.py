"""Trestle facts over real HTTP (API-FACTS, Trestle part): quota headers on every answer, 504 for
a query that costs too much, and media downloads with their own quota."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.trestle_fixtures import RunningTrestle, token_for

QUOTA_HEADERS = (
    "Minute-Quota-Limit",
    "Minute-Quota-Available",
    "Hour-Quota-Limit",
    "Hour-Quota-Available",
    "Hour-Quota-ResetTime",
)
# The slow query: a full page with media, filtered on 100 terms over a field no index serves.
SLOW_FILTER = " or ".join(f"City eq 'Nowhere{n}'" for n in range(100))


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def quota(response: httpx.Response) -> dict[str, int]:
    missing = [name for name in QUOTA_HEADERS if name not in response.headers]
    assert not missing, (response.status_code, response.url, missing)
    return {name: int(response.headers[name]) for name in QUOTA_HEADERS}


# ---------------------------------------------------------------- quota headers everywhere


def test_the_service_document_carries_the_quota_without_counting(
    make_trestle_sandbox: Callable[..., RunningTrestle], http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(minute_quota=20, hour_quota=500)
    anonymous = quota(http.get(trestle.odata_url))
    assert anonymous["Minute-Quota-Limit"] == anonymous["Minute-Quota-Available"] == 20
    assert anonymous["Hour-Quota-Limit"] == anonymous["Hour-Quota-Available"] == 500
    # Epoch milliseconds, an hour ahead on the sandbox clock.
    hour_ahead = (trestle.sandbox.clock.now_seconds() + 3_600) * 1_000
    assert abs(anonymous["Hour-Quota-ResetTime"] - hour_ahead) < 5_000

    headers = bearer(token_for(trestle, http))
    for _ in range(3):
        assert http.get(f"{trestle.odata_url}/Member", headers=headers).status_code == 200
    # With a token: that connection's quota, and the service document is not a query.
    for _ in range(2):
        seen = quota(http.get(trestle.odata_url, headers=headers))
        assert (seen["Minute-Quota-Available"], seen["Hour-Quota-Available"]) == (17, 497)


def test_unauthorized_answers_carry_the_quota(
    make_trestle_sandbox: Callable[..., RunningTrestle], http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(minute_quota=20, token_ttl_seconds=30)
    url = f"{trestle.odata_url}/Property"
    for headers in ({}, bearer("not-a-token")):
        for target in (url, f"{trestle.odata_url}/$metadata"):
            response = http.get(target, headers=headers)
            assert response.status_code == 401
            assert quota(response)["Minute-Quota-Available"] == 20
    issued = token_for(trestle, http)
    assert http.get(url, headers=bearer(issued)).status_code == 200
    trestle.sandbox.advance(seconds=31)  # past the token's life, inside the quota minute
    expired = http.get(url, headers=bearer(issued))
    assert expired.status_code == 401
    # The expired token still names its connection: its quota, not counted again.
    assert quota(expired)["Minute-Quota-Available"] == 19


def test_errors_and_injected_faults_under_the_odata_root_carry_the_quota(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = bearer(token_for(trestle_sandbox, http))
    bad = http.get(f"{trestle_sandbox.odata_url}/Nope", headers=headers)
    assert bad.status_code == 404
    quota(bad)
    trestle_sandbox.sandbox.set_faults(error_rate=1.0)
    failed = http.get(trestle_sandbox.odata_url)
    assert failed.status_code in (500, 503, 504)
    quota(failed)


# ---------------------------------------------------------------- 504 for slow queries


def test_a_query_past_the_cost_limit_is_a_504(
    make_trestle_sandbox: Callable[..., RunningTrestle], http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(minute_quota=50)
    headers = bearer(token_for(trestle, http))
    url = f"{trestle.odata_url}/Property"
    slow = {"$filter": SLOW_FILTER, "$top": "1000", "$expand": "Media"}
    response = http.get(url, params=slow, headers=headers)
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/json; odata.metadata=minimal"
    assert response.headers["odata-version"] == "4.0"
    error = response.json()["error"]
    assert error["code"] == "GatewayTimeout"
    assert "too long" in error["message"]
    # The query was run (and timed out): it counts against the quota.
    assert quota(response)["Minute-Quota-Available"] == 49
    # The same filter on a small page is cheap enough.
    assert http.get(url, params={**slow, "$top": "10"}, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("resource", "params"),
    [
        # The largest queries Trestle documents: a full page of listings with their media...
        ("Property", {"$top": "1000", "$expand": "Media", "$orderby": "ListingKey"}),
        ("Property", {"$top": "1000", "$expand": "Media", "replication": "true"}),
        # ...a key census...
        ("Property", {"$top": "300000", "$select": "ListingKey,ModificationTimestamp"}),
        # ...and the media of 200 listings at once (the ingest's largest media batch).
        (
            "Media",
            {
                "$top": "1000",
                "$filter": " or ".join(
                    f"ResourceRecordKey eq '{100_000_000 + n}'" for n in range(200)
                ),
                "$orderby": "ResourceRecordKey,Order",
            },
        ),
    ],
)
def test_the_documented_large_queries_do_not_time_out(
    trestle_sandbox: RunningTrestle, http: httpx.Client, resource: str, params: dict[str, str]
) -> None:
    headers = bearer(token_for(trestle_sandbox, http))
    response = http.get(f"{trestle_sandbox.odata_url}/{resource}", params=params, headers=headers)
    assert response.status_code == 200, response.text


def test_the_cost_limit_is_configurable(
    make_trestle_sandbox: Callable[..., RunningTrestle], http: httpx.Client
) -> None:
    never = make_trestle_sandbox(query_cost={"timeout_cost": None})
    slow = {"$filter": SLOW_FILTER, "$top": "1000", "$expand": "Media"}
    url = f"{never.odata_url}/Property"
    assert http.get(url, params=slow, headers=bearer(token_for(never, http))).status_code == 200
    strict = make_trestle_sandbox(query_cost={"timeout_cost": 50})
    headers = bearer(token_for(strict, http))
    url = f"{strict.odata_url}/Property"
    assert http.get(url, params={"$top": "50"}, headers=headers).status_code == 200
    assert http.get(url, params={"$top": "51"}, headers=headers).status_code == 504


# ---------------------------------------------------------------- media downloads


def jpeg_size(body: bytes) -> tuple[int, int]:
    """(width, height) from a baseline JPEG's frame header, checking the segment structure."""
    assert body[:2] == b"\xff\xd8"
    assert body[-2:] == b"\xff\xd9"
    position = 2
    while position < len(body):
        assert body[position] == 0xFF, position
        marker = body[position + 1]
        (length,) = struct.unpack(">H", body[position + 2 : position + 4])
        if marker == 0xC0:
            height, width = struct.unpack(">HH", body[position + 5 : position + 9])
            return width, height
        position += 2 + length
    raise AssertionError("no frame header")


def media_of(trestle: RunningTrestle, http: httpx.Client, count: int = 3) -> list[dict[str, Any]]:
    """Media records of the first listings that have photos, as the OData API serves them."""
    response = http.get(
        f"{trestle.odata_url}/Media",
        params={"$top": str(count), "$orderby": "ResourceRecordKey,Order"},
        headers=bearer(token_for(trestle, http)),
    )
    assert response.status_code == 200
    return list(response.json()["value"])


def test_media_urls_are_served_as_images(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    records = media_of(trestle_sandbox, http)
    bodies = []
    for record in records:
        assert record["MediaURL"].startswith(f"{trestle_sandbox.base_url}/trestle/media/")
        response = http.get(record["MediaURL"])  # public: no token
        assert response.status_code == 200
        assert response.headers["content-type"] == record["MimeType"] == "image/jpeg"
        assert "odata-version" not in response.headers
        assert jpeg_size(response.content) == (record["ImageWidth"], record["ImageHeight"])
        assert len(response.content) < 20_000
        assert record["MediaKey"].encode() in response.content
        assert http.get(record["MediaURL"]).content == response.content  # deterministic
        bodies.append(response.content)
    assert len(set(bodies)) == len(bodies)


def test_replaced_or_unknown_media_are_404(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    record = media_of(trestle_sandbox, http, 1)[0]
    listing = record["ResourceRecordKey"]
    unknown = record["MediaURL"].replace(listing, "999999999", 1)
    assert http.get(unknown).status_code == 404
    assert http.get(f"{trestle_sandbox.base_url}/trestle/media/nothing").status_code == 404
    # A change of the listing's photos gives them new keys: the old URL is gone.
    sandbox = trestle_sandbox.sandbox
    for _ in range(50):
        if listing in sandbox.advance(seconds=10, media_changes=10).media_changes:
            break
    else:
        pytest.fail("the listing's media never changed")
    gone = http.get(record["MediaURL"])
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "NotFound"
    quota(gone)


def test_media_downloads_have_their_own_quota(
    make_trestle_sandbox: Callable[..., RunningTrestle], http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(minute_quota=30, media_minute_quota=4, media_hour_quota=100)
    records = media_of(trestle, http, 2)
    headers = bearer(token_for(trestle, http))
    before = quota(http.get(trestle.odata_url, headers=headers))
    seen = [quota(http.get(records[n % 2]["MediaURL"])) for n in range(4)]
    assert [q["Minute-Quota-Available"] for q in seen] == [3, 2, 1, 0]
    assert {(q["Minute-Quota-Limit"], q["Hour-Quota-Limit"]) for q in seen} == {(4, 100)}
    assert seen[-1]["Hour-Quota-Available"] == 96
    refused = http.get(records[0]["MediaURL"])
    assert refused.status_code == 429
    assert "retry-after" not in refused.headers
    assert refused.json()["error"]["code"] == "TooManyRequests"
    assert quota(refused)["Minute-Quota-Available"] == 0
    # The query quota did not move, and queries still work.
    assert quota(http.get(trestle.odata_url, headers=headers)) == before
    assert http.get(f"{trestle.odata_url}/Member", headers=headers).status_code == 200
    # The minute window passes on the sandbox clock: downloads again.
    trestle.sandbox.advance(seconds=61)
    assert http.get(records[0]["MediaURL"]).status_code == 200
    assert trestle.sandbox.stats()["media_quota"][trestle.settings.client_id]["total_used"] == 5


def test_the_realistic_media_quota_is_the_documented_one(
    make_trestle_sandbox: Callable[..., RunningTrestle], http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(profile="realistic")
    answered = http.get(media_of(trestle, http, 1)[0]["MediaURL"])
    seen = quota(answered)
    assert (seen["Minute-Quota-Limit"], seen["Hour-Quota-Limit"]) == (480, 18_000)
    reset = seen["Hour-Quota-ResetTime"] / 1_000
    assert 0 < reset - time.time() <= 3_600 + 5
