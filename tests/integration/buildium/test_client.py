"""The Buildium client against the sandbox, every request and answer checked against the spec."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import httpx
import pytest

from wonder.clients.buildium import BuildiumClient
from wonder.clients.buildium.governor import account_bucket
from wonder.clients.errors import AuthError, PermanentError, TransientError
from wonder.clients.governor import TokenBucket


def test_a_walk_reads_every_lease_once_in_the_fewest_pages(mock_buildium):
    bu = mock_buildium(settings={"page_size": 10})
    with bu.client() as client:
        leases = list(client.leases())
        truth = bu.sandbox.store.records["leases"]
        assert sorted(x.Id for x in leases) == sorted(truth)
        assert client.requests_made == -(-len(truth) // 10)
        tenants = list(client.tenants())
        assert len(tenants) == len(bu.sandbox.store.records["tenants"])
        balances = list(client.outstanding_balances())
        assert {b.LeaseId: b.TotalBalance for b in balances} == {
            int(k): v["total"]
            for k, v in bu.sandbox.truth()["balances"].items()
            if v["total"] > 0  # Buildium lists no zero or credit balance
        }
    assert all("orderby=Id+asc" in q or "orderby=LeaseId+asc" in q for q in bu.transport.queries)
    assert bu.transport.violations == []


def test_pages_that_shift_while_walking_are_de_duplicated(mock_buildium):
    """A lease with a low Id updated between two pages enters the lastupdatedfrom window and
    pushes the next page back one place: its first record repeats the last one of the page."""
    bu = mock_buildium(settings={"page_size": 5})
    sandbox = bu.sandbox
    sandbox.clock.advance(600)
    since = sandbox.clock.now()
    sandbox.clock.advance(1)
    ids = sorted(sandbox.store.records["leases"])
    for lease_id in ids[10:30]:
        sandbox.store.touch("leases", lease_id)
    raw_pages = []
    with bu.client() as client:
        walk = client.pages("/v1/leases", {"lastupdatedfrom": since.strftime("%Y-%m-%dT%H:%M:%SZ")})
        raw_pages.append(next(walk).records)
        sandbox.store.touch("leases", ids[0])  # enters the window before the current position
        raw_pages.extend(page.records for page in walk)
        raw_ids = [m["Id"] for page in raw_pages for m in page]
        assert len(raw_ids) > len(set(raw_ids))  # the pages did overlap

        sandbox.store.touch("leases", ids[30])
        seen = []
        walk2 = client.messages(
            "/v1/leases", {"lastupdatedfrom": since.strftime("%Y-%m-%dT%H:%M:%SZ")}
        )
        for index, message in enumerate(walk2):
            seen.append(message["Id"])
            if index == 2:
                sandbox.store.touch("leases", ids[1])
        assert len(seen) == len(set(seen))
        assert client.duplicates_dropped >= 1
        assert set(ids[10:31]) <= set(seen)
    assert bu.transport.violations == []


def test_the_incremental_window_starts_an_overlap_before_the_watermark(mock_buildium):
    bu = mock_buildium(settings={"overlap_seconds": 300})
    sandbox = bu.sandbox
    now = sandbox.clock.now()
    with bu.client(wall_clock=lambda: now.timestamp()) as client:
        window = client.window(now - timedelta(seconds=100))
        assert window.lastupdatedfrom == now - timedelta(seconds=400)
        assert window.watermark == now.replace(microsecond=0)
        sandbox.clock.advance(60)
        lease_id = min(sandbox.store.records["leases"])
        sandbox.store.touch("leases", lease_id)
        changed = list(client.leases(updated_from=window.lastupdatedfrom + timedelta(seconds=401)))
        assert [x.Id for x in changed] == [lease_id]
    assert bu.transport.violations == []


def test_a_429_burst_is_backed_off_from_200_ms_and_recovers(mock_buildium):
    bu = mock_buildium()
    naps: list[float] = []
    bu.sandbox.set_faults(burst_429=3)
    with bu.client(sleep=naps.append) as client:
        assert len(list(client.gl_accounts())) == 8
    assert len(naps) == 3
    assert 0.1 <= naps[0] <= 0.2
    assert 0.2 <= naps[1] <= 0.4
    assert 0.4 <= naps[2] <= 0.8
    assert [r.status_code for _, r in bu.transport.exchanges] == [429, 429, 429, 200]


def test_long_id_lists_are_split_and_no_query_string_exceeds_4096_characters(mock_buildium):
    bu = mock_buildium()
    lease_ids = sorted(bu.sandbox.store.records["leases"])
    asked = lease_ids + list(range(900_000, 900_600))  # 600 more that do not exist
    with bu.client() as client:
        by_list = {b.LeaseId: b for b in client.outstanding_balances(asked)}
        everything = {b.LeaseId: b for b in client.outstanding_balances()}
        with pytest.raises(PermanentError, match="query string"):
            client.get("/v1/rentals", {"location": "x" * 5_000})
    assert by_list == everything
    assert sum("leaseids" in q for q in bu.transport.queries) >= 3
    assert max(len(q) for q in bu.transport.queries) <= 4_096
    assert all(r.status_code == 200 for _, r in bu.transport.exchanges)


def test_writes_are_read_merged_and_put_whole_and_a_charge_posts(mock_buildium):
    bu = mock_buildium()
    with bu.client() as client:
        tenant_id = min(bu.sandbox.store.records["tenants"])
        current = client.get(f"/v1/leases/tenants/{tenant_id}")
        body = {
            "FirstName": current["FirstName"],
            "LastName": current["LastName"],
            "Email": "new@example.com",
            "PhoneNumbers": {"Mobile": current["PhoneNumbers"][0]["Number"]},
            "Address": {k: v for k, v in current["Address"].items() if v is not None},
        }
        updated = client.put(f"/v1/leases/tenants/{tenant_id}", body)
        assert updated["Email"] == "new@example.com"
        assert updated["PhoneNumbers"] == current["PhoneNumbers"]
        lease_id = min(bu.sandbox.store.records["leases"])
        posted = client.post_charge(
            lease_id, {"Date": "2026-03-10", "Lines": [{"Amount": 12.34, "GLAccountId": 7}]}
        )
        txn = client.gl_transaction(posted[0]["Id"])
        assert txn.lease_id == lease_id
        assert str(txn.TotalAmount) == "12.34"
        with pytest.raises(PermanentError) as refused:
            client.put(f"/v1/leases/tenants/{tenant_id}", {"FirstName": "x"})
        assert refused.value.status == 400
    assert bu.transport.response_violations == []
    # only the PUT that was meant to fail broke the request schema
    assert {v.split(":")[0] for v in bu.transport.request_violations} == {
        f"PUT /v1/leases/tenants/{tenant_id} request body"
    }


def test_no_secret_in_reprs_errors_or_logs(mock_buildium, caplog):
    secret = "s3cr3t-value-never-shown"
    bu = mock_buildium(settings={"client_secret": secret})
    caplog.set_level(logging.DEBUG)
    with bu.client() as client:
        assert secret not in repr(client)
        assert secret not in repr(client._auth)
        with pytest.raises(AuthError) as failure:
            list(client.rentals())
    assert secret not in str(failure.value)
    assert secret not in caplog.text
    assert secret not in repr(bu.settings)


@pytest.mark.slow
def test_two_workers_sharing_the_account_governor_never_exceed_10_per_second(http_buildium):
    """Real HTTP, the realistic limit (10/s) on the sandbox clock following the wall clock."""
    bu = http_buildium(profile="realistic", frozen_clock=False, start_time=None)
    governor = account_bucket(bu.base_url, bu.settings.client_id, bu.settings.rate_per_second)
    assert isinstance(governor, TokenBucket)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with BuildiumClient(bu.settings, transport=bu.transport, governor=governor) as client:
                for _ in range(12):
                    list(client.gl_accounts())
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    log = httpx.get(f"{bu.base_url}/_sandbox/requests").json()["accounts"]["1"]
    assert sum(second["admitted"] for second in log) == 24
    assert max(second["admitted"] for second in log) <= 10
    assert all(second["refused"] == 0 for second in log)
    assert len(log) >= 3  # 24 requests at < 10/s span at least three seconds


def test_a_charge_is_not_posted_twice_after_a_5xx_but_is_retried_after_a_429(mock_buildium):
    """No idempotency keys at Buildium: a second POST after a 5xx could post a second charge."""
    bu = mock_buildium()
    lease_id = min(bu.sandbox.store.records["leases"])
    body = {"Date": "2026-03-10", "Lines": [{"Amount": 5, "GLAccountId": 7}]}
    with bu.client() as client:
        bu.sandbox.set_faults(error_rate=1.0)
        with pytest.raises(TransientError, match="not retried"):
            client.post_charge(lease_id, body)
        assert client.requests_made == 1
        bu.sandbox.set_faults(burst_429=2)
        assert len(client.post_charge(lease_id, body)) == 1
        assert client.requests_made == 4
