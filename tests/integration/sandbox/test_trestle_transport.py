"""One core, two ways in: the Trestle sandbox over loopback HTTP and through an
httpx.MockTransport gives the same answers, faults included."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.trestle_fixtures import RunningTrestle, mock_trestle
from wonder.clients.errors import TransientError
from wonder.clients.odata import ODataQuery
from wonder.sandbox.server import serve_in_thread
from wonder.sandbox.trestle import TrestleSandbox, TrestleSandboxConfig

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CONFIG = TrestleSandboxConfig(listings=30, seed=9, start_time=START, frozen_clock=True)
REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/trestle/odata", {}),
    ("GET", "/trestle/odata/$metadata", {}),
    ("GET", "/trestle/odata/Property", {"$top": "3", "$orderby": "ListingKey"}),
    ("GET", "/trestle/odata/Property", {"$select": "ListingKey,ListPrice", "$top": "300000"}),
    (
        "GET",
        "/trestle/odata/Property",
        {"$filter": "StandardStatus eq 'Active'", "$expand": "Media", "$count": "true"},
    ),
    ("GET", "/trestle/odata/Media", {"$top": "5", "$orderby": "ResourceRecordKey,Order"}),
    ("GET", "/trestle/odata/Member", {"$top": "2"}),
    ("GET", "/trestle/odata/Property('100000003')", {}),
    ("GET", "/trestle/odata/Property", {"$filter": "Nope eq 1"}),
    ("GET", "/trestle/odata/Property", {"$top": "5000"}),
    # Past the cost limit: 504.
    (
        "GET",
        "/trestle/odata/Property",
        {
            "$top": "1000",
            "$expand": "Media",
            "$filter": " or ".join(f"City eq 'X{n}'" for n in range(100)),
        },
    ),
    ("GET", "/trestle/odata/Nope", {}),
    ("POST", "/trestle/odata/Property", {}),
    ("GET", "/elsewhere", {}),
    ("GET", "/_sandbox/advance", {}),
    ("GET", "/_sandbox/stats", {}),
]


@pytest.fixture
def both() -> Iterator[tuple[httpx.Client, httpx.Client]]:
    served, mocked = TrestleSandbox(CONFIG), TrestleSandbox(CONFIG)
    server = serve_in_thread(served.app)
    over_http = httpx.Client(base_url=server.base_url, timeout=30)
    in_process = httpx.Client(base_url="http://trestle.test", transport=mocked.transport())
    try:
        yield over_http, in_process
    finally:
        over_http.close()
        in_process.close()
        server.stop(wait=False)


def token(client: httpx.Client) -> str:
    response = client.post(
        "/trestle/oidc/connect/token",
        data={
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200
    return str(response.json()["access_token"])


def comparable(response: httpx.Response, base_url: str) -> dict[str, Any]:
    headers = {
        name: response.headers.get(name)
        for name in (
            "content-type",
            "odata-version",
            "minute-quota-available",
            "hour-quota-available",
            "hour-quota-resettime",
            "minute-quota-limit",
            "hour-quota-limit",
            "cache-control",
            "www-authenticate",
            "allow",
        )
    }
    body = response.content.replace(base_url.encode(), b"BASE")
    return {"status": response.status_code, "headers": headers, "body": body}


def test_the_server_and_the_mock_transport_answer_alike(
    both: tuple[httpx.Client, httpx.Client],
) -> None:
    for client in both:
        assert token(client)
    auth = {c: {"Authorization": f"Bearer {token(c)}"} for c in both}
    photo = next(items for items in TrestleSandbox(CONFIG).media_truth().values() if items)[0]
    media: list[tuple[str, str, dict[str, str]]] = [
        ("GET", photo["MediaURL"], {}),  # a path: the sandbox serves it on the host used
        ("GET", photo["MediaURL"].replace("-01.jpg", "-99.jpg"), {}),
    ]
    for method, path, params in [*REQUESTS, *media]:
        answers = [
            comparable(
                c.request(method, path, params=params, headers=auth[c]), str(c.base_url).rstrip("/")
            )
            for c in both
        ]
        assert answers[0] == answers[1], (method, path, params)
    unauthorized = [comparable(c.get("/trestle/odata/Property"), "") for c in both]
    assert unauthorized[0] == unauthorized[1]
    assert unauthorized[0]["status"] == 401
    assert unauthorized[0]["headers"]["minute-quota-limit"] is not None
    # Both counted the same requests.
    stats = [c.get("/_sandbox/stats").json() for c in both]
    assert stats[0]["requests"] == stats[1]["requests"]
    assert stats[0]["quota"] == stats[1]["quota"]
    assert stats[0]["media_quota"] == stats[1]["media_quota"]
    assert stats[0]["requests"]["GET /trestle/media 200"] == 1
    assert stats[0]["requests"]["GET /trestle/odata/Property 504"] == 1


def test_faults_through_the_mock_transport() -> None:
    trestle = mock_trestle(listings=10, seed=4)
    with httpx.Client(base_url="http://t.test", transport=trestle.sandbox.transport()) as http:
        headers = {"Authorization": f"Bearer {token(http)}"}
        trestle.sandbox.set_faults(drop_rate=1.0)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/trestle/odata/Property", headers=headers)
        trestle.sandbox.set_faults(truncate_rate=1.0)
        cut = http.get("/trestle/odata/Property", headers=headers)
        assert cut.status_code == 200
        with pytest.raises(ValueError, match=r".+"):
            cut.json()
        trestle.sandbox.set_faults(burst_429=1)
        assert http.get("/trestle/odata/Property", headers=headers).status_code == 429
        assert http.get("/trestle/odata/Property", headers=headers).status_code == 200
        # Control requests are never faulted.
        trestle.sandbox.set_faults(drop_rate=1.0)
        assert http.get("/_sandbox/stats").status_code == 200
    injected = trestle.sandbox.stats()["faults_injected"]
    assert (injected["drop"], injected["truncate"], injected["burst_429"]) == (1, 1, 1)


def test_the_client_reads_everything_exactly_through_faults_in_process() -> None:
    trestle = mock_trestle(listings=45, seed=12)
    trestle.sandbox.set_faults(error_rate=0.15, drop_rate=0.1, truncate_rate=0.2, burst_429=2)
    with trestle.client(page_size=10) as client:
        keys = [
            record["ListingKey"]
            for page in client.pages("Property", ODataQuery(orderby="ListingKey"), replication=True)
            for record in page.records
        ]
    assert keys == sorted(trestle.sandbox.truth())
    injected = trestle.sandbox.stats()["faults_injected"]
    assert injected["burst_429"] == 2
    assert injected.get("truncate", 0) > 0
    assert any(name.startswith("error_") for name in injected)


def test_control_api_of_the_trestle_sandbox(
    make_trestle_sandbox: Callable[..., RunningTrestle],
) -> None:
    running = make_trestle_sandbox(listings=20)
    with httpx.Client(base_url=running.base_url) as http:
        changes = http.post("/_sandbox/advance", json={"seconds": 60, "remapped": 3}).json()
        assert len(changes["remapped"]) == 3
        assert http.get("/_sandbox/advance").status_code == 405
        typo = http.post("/_sandbox/faults", json={"eror_rate": 0.5})
        assert typo.status_code == 400
        assert "eror_rate" in typo.json()["error"]
        settings = http.post("/_sandbox/faults", json={"empty_media_rate": 0.5}).json()
        assert settings["empty_media_rate"] == 0.5
        assert running.sandbox.faults.settings.empty_media_rate == 0.5


def test_quota_headers_504_and_media_through_the_mock_transport() -> None:
    trestle = mock_trestle(listings=10, seed=4, media_minute_quota=2)
    with httpx.Client(base_url="http://t.test", transport=trestle.sandbox.transport()) as http:
        service = http.get("/trestle/odata")
        assert service.headers["Minute-Quota-Available"] == service.headers["Minute-Quota-Limit"]
        assert "Hour-Quota-ResetTime" in http.get("/trestle/odata/Property").headers  # a 401
        headers = {"Authorization": f"Bearer {token(http)}"}
        slow = {
            "$top": "1000",
            "$expand": "Media",
            "$filter": " or ".join(f"City eq 'X{n}'" for n in range(100)),
        }
        timed_out = http.get("/trestle/odata/Property", params=slow, headers=headers)
        assert timed_out.status_code == 504
        assert timed_out.json()["error"]["code"] == "GatewayTimeout"
        media = http.get("/trestle/odata/Media", params={"$top": "1"}, headers=headers).json()
        url = media["value"][0]["MediaURL"]
        assert url.startswith("http://t.test/trestle/media/")
        photo = http.get(url)
        assert (photo.status_code, photo.headers["content-type"]) == (200, "image/jpeg")
        assert photo.content.startswith(b"\xff\xd8")
        assert photo.headers["Minute-Quota-Limit"] == "2"
        assert http.get(url).status_code == 200
        refused = http.get(url)
        assert refused.status_code == 429
        assert "Retry-After" not in refused.headers


def test_the_client_gives_up_on_a_query_that_always_times_out() -> None:
    """A 504 is transient to the client (it retries), but a query past the cost limit times out
    every time: the client ends with TransientError rather than data."""
    trestle = mock_trestle(listings=10, seed=4)
    slow = " or ".join(f"City eq 'X{n}'" for n in range(100))
    with trestle.client(page_size=1000) as client, pytest.raises(TransientError, match="504"):
        list(client.pages("Property", ODataQuery(filter=slow, expand="Media")))
    timed_out = [r for _, r in trestle.exchanges if r.status_code == 504]
    assert len(timed_out) == trestle.settings.max_retries + 1
