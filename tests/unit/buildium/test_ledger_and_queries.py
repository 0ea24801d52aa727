"""Pure pieces of the Buildium slice: the sandbox ledger's allocation and aging, and the
client's query-length splitting and windows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import httpx
import pytest

from wonder.clients.buildium.queries import buildium_time, incremental_window, split_ids
from wonder.sandbox.buildium.ledger import (
    DEPOSIT_GL,
    PREPAYMENT_GL,
    Txn,
    allocate,
    outstanding,
)
from wonder.sandbox.buildium.queries import Query, QueryError, order


def charge(tid: int, on: date, *lines: tuple[int, str]) -> Txn:
    return Txn(tid, 1, on, "Charge", tuple((gl, D(a)) for gl, a in lines))


def test_a_payment_goes_to_the_oldest_unpaid_charge_lines_first():
    ledger = [
        charge(1, date(2026, 1, 1), (5, "1000.00")),
        charge(2, date(2026, 1, 6), (6, "50.00")),
    ]
    assert allocate(ledger, D("1020.00")) == ((5, D("1000.00")), (6, D("20.00")))
    ledger.append(Txn(3, 1, date(2026, 1, 9), "Payment", ((5, D("1000.00")), (6, D("20.00")))))
    # 30 owed on the late fee, the 70 over it to Prepaid Rent (never to a deposit account)
    assert allocate(ledger, D("100.00")) == ((6, D("30.00")), (PREPAYMENT_GL, D("70.00")))
    ledger.append(Txn(4, 1, date(2026, 1, 20), "Payment", ((6, D("30.00")), (4, D("70.00")))))
    ledger.append(charge(5, date(2026, 2, 1), (5, "1000.00")))
    # the 70 prepaid pays February first
    assert allocate(ledger, D("930.00")) == ((5, D("930.00")),)


def test_rent_and_fees_are_paid_before_an_unpaid_deposit():
    ledger = [
        charge(1, date(2026, 1, 1), (DEPOSIT_GL, "1000.00")),
        Txn(2, 1, date(2026, 1, 1), "Payment", ((DEPOSIT_GL, D("500.00")),)),
        charge(3, date(2026, 1, 1), (5, "1200.00")),
    ]
    assert allocate(ledger, D("1200.00")) == ((5, D("1200.00")),)
    assert allocate(ledger, D("1300.00")) == ((5, D("1200.00")), (DEPOSIT_GL, D("100.00")))


def test_aging_puts_what_is_left_of_each_charge_in_its_bucket():
    ledger = [
        charge(1, date(2025, 11, 1), (5, "900.00")),
        charge(2, date(2026, 1, 1), (5, "900.00")),
        charge(3, date(2026, 2, 25), (5, "900.00")),
        Txn(4, 1, date(2026, 2, 26), "Payment", ((5, D("1000.00")),)),
        Txn(5, 1, date(2026, 2, 27), "Credit", ((5, D("50.00")),)),
    ]
    result = outstanding(ledger, date(2026, 3, 10))
    assert result.total == D("1650.00")
    # Nov (129 days) paid off, Jan (68 days) 750 left, Feb (13 days) untouched
    assert result.aging == (D("900.00"), D("0.00"), D("750.00"), D("0.00"))
    assert result.by_gl_account == {5: D("1650.00")}
    prepaid = outstanding(
        [*ledger, Txn(6, 1, date(2026, 3, 1), "Payment", ((5, D("2000.00")),))], date(2026, 3, 10)
    )
    assert prepaid.total == D("-350.00")
    assert sum(prepaid.aging) == prepaid.total


def test_id_lists_split_so_every_query_fits():
    params = {"leasestatuses": "Active"}
    ids = list(range(1_000_000, 1_001_000))
    chunks = list(split_ids(params, "leaseids", ids, 4_096))
    assert [i for c in chunks for i in c["leaseids"]] == ids
    for chunk in chunks:
        query = str(
            httpx.QueryParams(
                {**chunk, "limit": 1000, "offset": 9_999_999, "orderby": "LeaseId asc"}
            )
        )
        assert len(query) <= 4_096 + len(
            "&orderby=LeaseId+asc"
        )  # orderby is in the base when the client splits
    assert len(chunks) == 5


def test_windows_and_times_are_in_buildium_format():
    now = datetime(2026, 3, 10, 12, 0, 30, 123_456, tzinfo=UTC)
    window = incremental_window(datetime(2026, 3, 10, 11, tzinfo=UTC), overlap_seconds=300, now=now)
    assert window.params() == {"lastupdatedfrom": "2026-03-10T10:55:00Z"}
    assert window.watermark == now.replace(microsecond=0)
    assert incremental_window(None, overlap_seconds=300, now=now).params() == {}
    assert buildium_time(datetime(2026, 3, 10, 7, 0)) == "2026-03-10T07:00:00Z"


def test_sandbox_query_parsing_is_case_sensitive_and_orders_on_several_keys():
    with pytest.raises(QueryError) as wrong:
        Query.parse([("Offset", "5")], ["offset", "limit"])
    assert wrong.value.status == 404
    rows = [{"Id": 3, "Name": "b"}, {"Id": 1, "Name": "a"}, {"Id": 2, "Name": "b"}]
    assert [r["Id"] for r in order(rows, "name DESC, id asc")] == [2, 3, 1]
    with pytest.raises(QueryError):
        order(rows, "Nope asc")
