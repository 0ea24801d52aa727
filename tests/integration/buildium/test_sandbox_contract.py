"""Every answer the Buildium sandbox gives, and every request the client sends, matches the
spec (``openapi-subset.json``, derived from Buildium's OpenAPI document)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wonder.sandbox.buildium import contract, schema_extract

SPEC = schema_extract.DEFAULT_SPEC


def test_every_operation_answers_in_the_shape_of_the_spec(mock_buildium):
    bu = mock_buildium()
    store = bu.sandbox.store
    lease_id = min(store.records["leases"])
    txn_id = store.ledger[lease_id][0].id
    ids = {
        "propertyId": min(store.records["rentals"]),
        "unitId": min(store.records["units"]),
        "rentalOwnerId": min(store.records["owners"]),
        "tenantId": min(store.records["tenants"]),
        "leaseId": lease_id,
        "transactionId": txn_id,
        "glAccountId": 5,
    }
    client = bu.raw()
    gl_query = {"startdate": "2020-01-01", "enddate": "2030-01-01", "glaccountids": [5, 6]}
    for op in contract.operations():
        path = op.template.format(**ids)
        if op.method == "GET":
            params: dict[str, Any] = {"limit": 1000} if "limit" in op.parameters else {}
            if op.template == "/v1/generalledger/transactions":
                params.update(gl_query)
            assert client.get(path, params=params).status_code == 200, op.key
            if "{" in op.template:
                first = op.template.split("{", 1)[1].split("}", 1)[0]
                missing = path.replace(str(ids[first]), "999999999", 1)
                assert client.get(missing).status_code == 404, op.key
    # writes: read, then PUT back the whole record in its put shape; a charge
    rental = client.get(f"/v1/rentals/{ids['propertyId']}").json()
    put = {k: rental[k] for k in ("Name", "RentalSubType", "OperatingBankAccountId")}
    put["Address"] = {k: v for k, v in rental["Address"].items() if v is not None}
    assert client.put(f"/v1/rentals/{ids['propertyId']}", json=put).status_code == 200
    charge = {
        "Date": "2026-03-09",
        "Memo": "Utility",
        "Lines": [{"Amount": 42.5, "GLAccountId": 7}],
    }
    assert client.post(f"/v1/leases/{lease_id}/charges", json=charge).status_code == 201
    # errors: validation, auth, read-only, rate limit, long query — all in the error body shape
    assert client.put(f"/v1/rentals/{ids['propertyId']}", json={"Name": 3}).status_code == 400
    assert client.post(f"/v1/leases/{lease_id}/charges", content=b"{}").status_code == 415
    assert bu.raw(headers={}).get("/v1/rentals").status_code == 401
    assert client.get("/v1/rentals", params={"propertyids": "1" * 4_100}).status_code == 500
    assert bu.transport.response_violations == []
    assert all("PUT /v1/rentals" in v for v in bu.transport.request_violations)  # the bad PUT
    assert len(bu.transport.checked) >= 25


def test_a_field_the_spec_does_not_have_is_caught(mock_buildium):
    """The checker itself: a response with an extra field or a wrong type is a violation."""
    errors = contract.response_errors("GET /v1/rentals/{propertyId}", 200, {"Id": 1, "Owner": "x"})
    assert errors
    assert "Owner" in errors[0][1]
    assert contract.response_errors("GET /v1/leases", 200, [{"Id": "7"}])
    assert contract.request_errors("POST /v1/leases/{leaseId}/charges", {"Lines": [{"Amount": 1}]})


@pytest.mark.skipif(not SPEC.is_file(), reason="Buildium's OpenAPI spec is not on this machine")
def test_the_committed_subset_is_derived_from_the_current_spec():
    committed = (Path(schema_extract.__file__).parent / "openapi-subset.json").read_text()
    assert json.loads(committed) == json.loads(schema_extract.render(SPEC))
