"""The Buildium sandbox does what API-FACTS says Buildium does."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from tests.buildium_fixtures import FULL_HEADERS, READ_ONLY_HEADERS, config
from wonder.sandbox.buildium import BuildiumSandbox


def decimal_json(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def test_auth_401_without_or_with_a_wrong_secret_and_403_for_read_only_writes(mock_buildium):
    bu = mock_buildium()
    assert bu.raw(headers={}).get("/v1/rentals").status_code == 401
    wrong = {"x-buildium-client-id": "sandbox-client", "x-buildium-client-secret": "nope"}
    answer = bu.raw(headers=wrong).get("/v1/rentals")
    assert answer.status_code == 401
    assert set(answer.json()) == {"UserMessage", "ErrorCode", "Errors"}
    read_only = bu.raw(headers=READ_ONLY_HEADERS)
    unit_id = min(bu.sandbox.store.records["units"])
    assert read_only.get(f"/v1/rentals/units/{unit_id}").status_code == 200
    body = {
        "UnitNumber": "9",
        "Address": {"AddressLine1": "1 A St", "PostalCode": "02118", "Country": "UnitedStates"},
    }
    assert read_only.put(f"/v1/rentals/units/{unit_id}", json=body).status_code == 403
    assert bu.sandbox.store.records["units"][unit_id]["UnitNumber"] != "9"


def test_limit_defaults_to_50_caps_at_1000_and_offset_walks_with_the_total(mock_buildium):
    bu = mock_buildium(properties=10, units=1_200, leases=0)
    client = bu.raw()
    default = client.get("/v1/rentals/units")
    assert len(default.json()) == 50
    assert default.headers["X-Total-Count"] == "1200"
    capped = client.get("/v1/rentals/units", params={"limit": 5_000, "orderby": "Id asc"})
    assert len(capped.json()) == 1_000
    rest = client.get(
        "/v1/rentals/units", params={"limit": 1_000, "offset": 1_000, "orderby": "Id asc"}
    )
    ids = [u["Id"] for u in capped.json() + rest.json()]
    assert ids == sorted(bu.sandbox.store.records["units"])
    desc = client.get(
        "/v1/rentals/units", params={"limit": 3, "orderby": "MarketRent desc,Id asc"}
    ).json()
    rents = [u["MarketRent"] for u in desc]
    assert rents == sorted(rents, reverse=True)
    assert rents[0] == max(
        float(u["MarketRent"]) for u in bu.sandbox.store.records["units"].values()
    )


def test_names_are_case_sensitive(mock_buildium):
    client = mock_buildium().raw()
    assert client.get("/v1/Rentals").status_code == 404
    assert client.get("/v1/rentals", params={"Limit": 5}).status_code == 404
    assert client.get("/v1/rentals", params={"orderby": "id ASC"}).status_code == 200


def test_lastupdated_filters_are_inclusive_to_the_second(mock_buildium):
    bu = mock_buildium()
    sandbox = bu.sandbox
    sandbox.clock.advance(3_600)
    edited = sorted(sandbox.store.records["leases"])[3]
    sandbox.store.touch("leases", edited)
    stamp = sandbox.store.records["leases"][edited]["LastUpdatedDateTime"]
    client = bu.raw()
    for params in ({"lastupdatedfrom": stamp}, {"lastupdatedfrom": stamp, "lastupdatedto": stamp}):
        assert [x["Id"] for x in client.get("/v1/leases", params=params).json()] == [edited]
    assert client.get("/v1/leases", params={"lastupdatedfrom": "2026-03-10"}).status_code == 400


def test_a_query_string_over_4096_characters_is_a_500(mock_buildium):
    client = mock_buildium().raw()
    assert (
        client.get("/v1/rentals", params={"location": "x" * (4_096 - len("location="))}).status_code
        == 200
    )
    assert (
        client.get("/v1/rentals", params={"location": "x" * (4_097 - len("location="))}).status_code
        == 500
    )


def test_a_put_replaces_the_record_and_clears_what_it_leaves_out(mock_buildium):
    bu = mock_buildium()
    client = bu.raw()
    unit_id = min(bu.sandbox.store.records["units"])
    before = client.get(f"/v1/rentals/units/{unit_id}").json()
    assert before["MarketRent"] is not None
    assert before["UnitBedrooms"] is not None
    body = {
        "UnitNumber": "7B",
        "Address": {"AddressLine1": "1 A St", "PostalCode": "02118", "Country": "UnitedStates"},
    }
    after = client.put(f"/v1/rentals/units/{unit_id}", json=body).json()
    assert after["UnitNumber"] == "7B"
    assert after["MarketRent"] is None
    assert after["UnitBedrooms"] is None
    assert after["UnitSize"] is None
    assert client.get(f"/v1/rentals/units/{unit_id}").json() == after


def test_outstanding_balances_agree_with_the_ledger_it_serves(mock_buildium):
    bu = mock_buildium(leases=60, units=70, history_months=6)
    client = bu.raw()
    listed = {}
    offset = 0
    while True:
        page = client.get(
            "/v1/leases/outstandingbalances",
            params={"limit": 25, "offset": offset, "orderby": "LeaseId asc"},
        )
        listed.update({b["LeaseId"]: b for b in decimal_json(page)})
        offset += 25
        if offset >= int(page.headers["X-Total-Count"]):
            break
    kinds = set()
    for lease in client.get("/v1/leases", params={"limit": 1000}).json():
        ledger = decimal_json(
            client.get(f"/v1/leases/{lease['Id']}/transactions", params={"limit": 1000})
        )
        owed = Decimal(0)
        per_gl: dict[int, Decimal] = {}
        for txn in ledger:
            kinds.add((txn["TransactionTypeEnum"], txn["Journal"]["Memo"]))
            sign = 1 if txn["TransactionTypeEnum"] == "Charge" else -1
            owed += sign * txn["TotalAmount"]
            assert sum(line["Amount"] for line in txn["Journal"]["Lines"]) == txn["TotalAmount"]
            for line in txn["Journal"]["Lines"]:
                gl = line["GLAccount"]["Id"]
                per_gl[gl] = per_gl.get(gl, Decimal(0)) + sign * line["Amount"]
        balance = listed.get(lease["Id"])
        if balance is None:
            # The spec: "Leases with a zero or credit balance will not be returned".
            assert owed <= 0, lease["Id"]
            continue
        assert balance["TotalBalance"] == owed, lease["Id"]
        aging = ("Balance0To30Days", "Balance31To60Days", "Balance61To90Days", "BalanceOver90Days")
        assert sum(balance[k] for k in aging) == owed
        assert {b["GlAccountId"]: b["TotalBalance"] for b in balance["Balances"]} == {
            g: v for g, v in per_gl.items() if v
        }
    # the seeded portfolio has what a balance sheet must cope with
    assert {
        ("Charge", "Rent"),
        ("Charge", "Late fee"),
        ("Charge", "Security deposit"),
        ("Payment", None),
    } <= kinds
    assert any(b["TotalBalance"] > 0 for b in listed.values())
    assert all(b["TotalBalance"] > 0 for b in listed.values())
    assert any(
        lease["LeaseStatus"] == "Past"
        for lease in client.get("/v1/leases", params={"limit": 1000}).json()
    )


def test_the_portfolio_is_deterministic_by_seed():
    def snapshot(seed: int) -> list[bytes]:
        sandbox = BuildiumSandbox(config(seed=seed))
        client = httpx.Client(
            transport=sandbox.transport(), base_url="http://b.test", headers=FULL_HEADERS
        )
        out = [
            client.get(p, params={"limit": 1000}).content
            for p in ("/v1/leases", "/v1/rentals/owners", "/v1/leases/outstandingbalances")
        ]
        sandbox.advance(months=1, edits=5, new_leases=2, ended_leases=2)
        out.append(client.get("/v1/leases/outstandingbalances", params={"limit": 1000}).content)
        sandbox.close()
        return out

    assert snapshot(7) == snapshot(7)
    assert snapshot(7) != snapshot(8)


def test_owners_hold_several_properties_and_advance_plays_a_month(mock_buildium):
    bu = mock_buildium()
    owners = bu.raw().get("/v1/rentals/owners", params={"limit": 1000}).json()
    assert max(len(o["PropertyIds"]) for o in owners) >= 2
    before = len(bu.sandbox.store.txns)
    result = bu.sandbox.advance(months=1, new_leases=1, ended_leases=1, edits=3)
    assert result.transactions > 0
    assert len(bu.sandbox.store.txns) > before
    assert len(result.new_leases) == 1
    assert len(result.ended_leases) == 1
    ended = bu.raw().get(f"/v1/leases/{result.ended_leases[0]}").json()
    assert ended["LeaseStatus"] == "Past"
    assert ended["MoveOutData"]


def test_over_the_rate_limit_is_a_429_without_rate_headers_and_the_log_shows_it(mock_buildium):
    bu = mock_buildium(profile="realistic")  # 10 requests/s; the clock is frozen: one second
    client = bu.raw()
    statuses = [client.get("/v1/glaccounts").status_code for _ in range(14)]
    assert statuses == [200] * 10 + [429] * 4
    refused = [resp for _, resp in bu.transport.exchanges if resp.status_code == 429]
    assert not any(
        "rate" in name.lower() or name.lower() == "retry-after" for name in refused[0].headers
    )
    log = bu.sandbox.request_log()["accounts"]["1"]
    assert log == [{"second": log[0]["second"], "admitted": 10, "refused": 4}]
    bu.sandbox.clock.advance(1)
    assert client.get("/v1/glaccounts").status_code == 200


def test_the_fast_profile_scales_the_rate_limit_but_keeps_it(mock_buildium):
    bu = mock_buildium(profile="fast")  # 1,000 requests/s; the frozen clock stays in one second
    client = bu.raw()
    statuses = [client.get("/v1/glaccounts/1").status_code for _ in range(1_001)]
    assert statuses.count(200) == 1_000
    assert statuses[-1] == 429
