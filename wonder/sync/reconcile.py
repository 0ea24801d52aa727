"""Our per-lease outstanding balances against Buildium's, to the cent. Pure.

Buildium's ``/v1/leases/outstandingbalances`` lists only leases that owe something ("leases with
a zero or credit balance will not be returned"), so a lease it does not list has, by its account,
nothing outstanding: that matches ours when ours is zero or a credit, and is a ``missing_theirs``
mismatch when we compute a positive balance. A lease it lists that our mirror lacks is
``missing_ours``. Every lease compared gets a line; mismatches are never folded away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from wonder.db.enums import ReconciliationStatus
from wonder.sync.balance_sheet import ZERO, cents
from wonder.sync.records import OutstandingBalance

S = ReconciliationStatus


@dataclass(frozen=True)
class LeaseComparison:
    lease_id: int
    status: ReconciliationStatus
    ours: Decimal | None
    theirs: Decimal | None

    @property
    def difference(self) -> Decimal:
        """Ours minus theirs (an absent side counts as zero)."""
        return (self.ours or ZERO) - (self.theirs or ZERO)

    @property
    def mismatch(self) -> bool:
        return self.status is not S.MATCH


@dataclass(frozen=True)
class Reconciliation:
    lines: tuple[LeaseComparison, ...]

    @property
    def mismatches(self) -> tuple[LeaseComparison, ...]:
        return tuple(line for line in self.lines if line.mismatch)

    @property
    def matched(self) -> bool:
        return not self.mismatches

    def summary(self) -> str:
        """One line per mismatch (for a run's artifact and log), or that all matched."""
        if self.matched:
            return f"{len(self.lines)} leases reconciled to the cent"
        parts = [
            f"lease {m.lease_id}: {m.status} ours={m.ours} theirs={m.theirs} diff={m.difference}"
            for m in self.mismatches
        ]
        return f"{len(self.mismatches)} of {len(self.lines)} leases differ: " + "; ".join(parts)


def reconcile(ours: Mapping[int, Decimal], theirs: Iterable[OutstandingBalance]) -> Reconciliation:
    """Compare ``ours`` (lease id → outstanding) with Buildium's list.

    A lease Buildium lists twice with different totals is a mismatch against the first total.
    """
    reported: dict[int, Decimal] = {}
    conflicting: set[int] = set()
    for balance in theirs:
        total = cents(balance.total_balance)
        previous = reported.setdefault(balance.lease_id, total)
        if previous != total:
            conflicting.add(balance.lease_id)
    lines = []
    for lease_id in sorted(set(ours) | set(reported)):
        mine = cents(ours[lease_id]) if lease_id in ours else None
        their = reported.get(lease_id)
        if mine is None:
            status = S.MISSING_OURS
        elif their is None:
            status = S.MATCH if mine <= 0 else S.MISSING_THEIRS
        elif mine == their and lease_id not in conflicting:
            status = S.MATCH
        else:
            status = S.MISMATCH
        lines.append(LeaseComparison(lease_id, status, mine, their))
    return Reconciliation(tuple(lines))
