"""Reconciliation names every lease that differs, on either side, to the cent."""

from __future__ import annotations

from decimal import Decimal

from wonder.db.enums import ReconciliationStatus
from wonder.sync.reconcile import reconcile
from wonder.sync.records import OutstandingBalance

D = Decimal
S = ReconciliationStatus


def theirs(lease_id: int, total: str) -> OutstandingBalance:
    return OutstandingBalance(lease_id, 1, 1, D(total), ())


def test_a_planted_one_cent_mismatch_is_named_with_both_sides() -> None:
    result = reconcile({1: D("100.00"), 2: D("50.00")}, [theirs(1, "100.00"), theirs(2, "50.01")])
    assert not result.matched
    (line,) = result.mismatches
    assert (line.lease_id, line.status, line.ours, line.theirs) == (
        2,
        S.MISMATCH,
        D("50.00"),
        D("50.01"),
    )
    assert line.difference == D("-0.01")
    assert "lease 2: mismatch ours=50.00 theirs=50.01 diff=-0.01" in result.summary()
    assert [x.lease_id for x in result.lines] == [1, 2]  # every lease compared is listed


def test_leases_missing_on_either_side() -> None:
    result = reconcile({1: D("10.00"), 3: D("0.00"), 4: D("-80.00")}, [theirs(2, "25.00")])
    status = {line.lease_id: line.status for line in result.lines}
    # Buildium omits zero and credit balances: 3 and 4 match; 1 owes but is not listed.
    assert status == {1: S.MISSING_THEIRS, 2: S.MISSING_OURS, 3: S.MATCH, 4: S.MATCH}
    assert {m.lease_id: m.difference for m in result.mismatches} == {1: D("10.00"), 2: D("-25.00")}


def test_a_lease_listed_twice_with_different_totals_is_a_mismatch() -> None:
    same = reconcile({1: D("5.00")}, [theirs(1, "5.00"), theirs(1, "5.00")])
    assert same.matched
    assert not reconcile({1: D("5.00")}, [theirs(1, "5.00"), theirs(1, "6.00")]).matched


def test_all_matched_says_so() -> None:
    assert reconcile({}, []).summary() == "0 leases reconciled to the cent"
