"""The Trestle sandbox over real HTTP: auth, documents, errors, limits, paging, replication."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.trestle_fixtures import RunningTrestle, token_for


@pytest.fixture
def http() -> Any:
    with httpx.Client(timeout=30) as client:
        yield client


def authed(trestle: RunningTrestle, http: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(trestle, http)}"}


def get(http: httpx.Client, url: str, headers: dict[str, str], **params: str) -> httpx.Response:
    return http.get(url, params=params or None, headers=headers)


def test_token_flow_and_shape(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    response = http.post(
        trestle_sandbox.token_url,
        data={
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "grant_type": "client_credentials",
            "scope": "api",
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 28_800
    assert body["access_token"]


def test_bad_client_is_400_invalid_client(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    response = http.post(
        trestle_sandbox.token_url,
        data={
            "client_id": "sandbox-client",
            "client_secret": "wrong",
            "grant_type": "client_credentials",
            "scope": "api",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client"}


def test_token_expires_on_the_sandbox_clock(make_trestle_sandbox: Any, http: httpx.Client) -> None:
    trestle = make_trestle_sandbox(token_ttl_seconds=30)
    headers = authed(trestle, http)
    url = f"{trestle.odata_url}/Property"
    assert get(http, url, headers, **{"$top": "1"}).status_code == 200
    trestle.sandbox.advance(seconds=31)
    expired = get(http, url, headers, **{"$top": "1"})
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "Unauthorized"
    assert get(http, url, authed(trestle, http), **{"$top": "1"}).status_code == 200


def test_service_document_is_public_metadata_is_not(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    service = http.get(trestle_sandbox.odata_url)
    assert service.status_code == 200
    names = {entry["name"] for entry in service.json()["value"]}
    assert {"Property", "Media", "Member", "Office", "OpenHouse"} <= names
    assert http.get(f"{trestle_sandbox.odata_url}/$metadata").status_code == 401
    metadata = http.get(
        f"{trestle_sandbox.odata_url}/$metadata", headers=authed(trestle_sandbox, http)
    )
    assert metadata.status_code == 200
    assert metadata.headers["content-type"].startswith("application/xml")
    assert b'EntityType Name="Property"' in metadata.content
    assert b'EnumType Name="StandardStatus"' in metadata.content


def test_odata_headers_and_context(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    response = get(
        http,
        f"{trestle_sandbox.odata_url}/Property",
        authed(trestle_sandbox, http),
        **{"$top": "5"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; odata.metadata=minimal"
    assert response.headers["odata-version"] == "4.0"
    body = response.json()
    assert body["@odata.context"].endswith("/trestle/odata/$metadata#Property")
    assert len(body["value"]) == 5
    assert "@odata.nextLink" in body


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"$filter": "NoSuchField eq 1"}, "NoSuchField"),
        ({"$filter": "ListPrice eq 'cheap'"}, "incompatible"),
        ({"$filter": "ModificationTimestamp gt 'yesterday'"}, "incompatible"),
        ({"$filter": "StandardStatus eq 'Sold'"}, "not a member"),
        ({"$select": "ListingKey,Nope"}, "Nope"),
        ({"$orderby": "Nope desc"}, "Nope"),
        ({"$expand": "Photos"}, "Photos"),
        ({"$top": "-1"}, "$top"),
        ({"$filter": "ListPrice gt"}, "filter"),
        ({"$apply": "groupby"}, "$apply"),
    ],
)
def test_bad_queries_are_400_odata_errors(
    trestle_sandbox: RunningTrestle, http: httpx.Client, params: dict[str, str], fragment: str
) -> None:
    response = http.get(
        f"{trestle_sandbox.odata_url}/Property",
        params=params,
        headers=authed(trestle_sandbox, http),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert fragment in error["message"]


def test_unknown_resource_is_404(trestle_sandbox: RunningTrestle, http: httpx.Client) -> None:
    response = http.get(
        f"{trestle_sandbox.odata_url}/Listings", headers=authed(trestle_sandbox, http)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"


def test_top_limits_full_records_vs_key_only(
    trestle_sandbox: RunningTrestle, http: httpx.Client
) -> None:
    headers = authed(trestle_sandbox, http)
    url = f"{trestle_sandbox.odata_url}/Property"
    assert get(http, url, headers, **{"$top": "1000"}).status_code == 200
    too_many = get(http, url, headers, **{"$top": "1001"})
    assert too_many.status_code == 400
    assert "1000" in too_many.json()["error"]["message"]
    census = get(
        http, url, headers, **{"$top": "300000", "$select": "ListingKey,ModificationTimestamp"}
    )
    assert census.status_code == 200
    assert len(census.json()["value"]) == 60
    assert get(http, url, headers, **{"$top": "300001", "$select": "ListingKey"}).status_code == 400
    mixed = get(http, url, headers, **{"$top": "5000", "$select": "ListingKey,City"})
    assert mixed.status_code == 400
    deep = get(http, url, headers, **{"$top": "1000", "$skip": "999001"})
    assert deep.status_code == 400


def test_next_link_on_full_last_page_then_empty_page(
    make_trestle_sandbox: Any, http: httpx.Client
) -> None:
    trestle = make_trestle_sandbox(listings=40)
    headers = authed(trestle, http)
    url: str | None = f"{trestle.odata_url}/Property?$top=20&$select=ListingKey"
    pages: list[list[dict[str, Any]]] = []
    while url:
        body = http.get(url, headers=headers).json()
        pages.append(body["value"])
        url = body.get("@odata.nextLink")
    assert [len(page) for page in pages] == [20, 20, 0]
    keys = [row["ListingKey"] for page in pages for row in page]
    assert keys == sorted(keys)
    assert len(set(keys)) == 40
