"""Lease ledgers: transactions (charges, payments, credits with their GL lines), what is owed.

A transaction's lines are (GL account id, amount), amounts positive. A payment or credit is
split over the GL accounts of the oldest unpaid charge lines when it is posted (as Buildium
allocates it: rent and fees before an unpaid deposit, anything over to Prepaid Rent), so the
outstanding balance per GL account is the charge lines minus the payment and credit lines on
that account, all of it readable from the ledger the sandbox serves. Aging applies payments and
credits to charges oldest first and ages what is left of each charge by its date (0-30, 31-60,
61-90, over 90 days).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")
RECEIVABLE_TYPES = frozenset({"Charge"})
REDUCING_TYPES = frozenset({"Payment", "Credit"})
DEPOSIT_GL = 3  # "Security Deposit Liability" in the seeded chart of accounts
PREPAYMENT_GL = 4  # "Prepaid Rent"


@dataclass(slots=True)
class Txn:
    id: int
    lease_id: int
    date: date
    type: str  # Charge | Payment | Credit
    lines: tuple[tuple[int, Decimal], ...]
    memo: str | None = None
    payee_tenant_id: int | None = None
    payment_method: str | None = None
    updated_at: int = 0  # sandbox clock, epoch microseconds
    total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.total = sum((amount for _, amount in self.lines), ZERO)


@dataclass(frozen=True)
class Outstanding:
    total: Decimal
    aging: tuple[Decimal, Decimal, Decimal, Decimal]  # 0-30, 31-60, 61-90, over 90
    by_gl_account: dict[int, Decimal] = field(default_factory=dict)


def open_by_gl_account(txns: Iterable[Txn]) -> dict[int, Decimal]:
    """Charge lines minus payment and credit lines, per GL account (zeros left out)."""
    balances: dict[int, Decimal] = {}
    for txn in txns:
        sign = 1 if txn.type in RECEIVABLE_TYPES else -1 if txn.type in REDUCING_TYPES else 0
        for gl_id, amount in txn.lines:
            balances[gl_id] = balances.get(gl_id, ZERO) + sign * amount
    return {gl_id: value for gl_id, value in balances.items() if value != 0}


def allocate(
    txns: Sequence[Txn],
    amount: Decimal,
    prepayment_gl: int = PREPAYMENT_GL,
    deposit_gl: int = DEPOSIT_GL,
) -> tuple[tuple[int, Decimal], ...]:
    """Split a payment or credit of ``amount`` over the GL accounts of the oldest unpaid charge
    lines: rent and fees first, then an unpaid deposit charge; what is left over (a prepayment)
    goes to ``prepayment_gl`` (a Liability that is not a deposit: rent paid ahead must never
    read as a deposit held). What each account already received pays its own charges; what a
    prepayment holds pays any rent or fee charge."""
    reduced: dict[int, Decimal] = {}
    for txn in txns:
        if txn.type in REDUCING_TYPES:
            for gl_id, line_amount in txn.lines:
                reduced[gl_id] = reduced.get(gl_id, ZERO) + line_amount
    pool = reduced.pop(prepayment_gl, ZERO)
    ordinary: list[tuple[int, Decimal]] = []
    deposits: list[tuple[int, Decimal]] = []
    for txn in sorted((t for t in txns if t.type in RECEIVABLE_TYPES), key=_order):
        for gl_id, line_amount in txn.lines:
            used = min(reduced.get(gl_id, ZERO), line_amount)
            reduced[gl_id] = reduced.get(gl_id, ZERO) - used
            left_open = line_amount - used
            if gl_id != deposit_gl:
                from_pool = min(pool, left_open)
                pool -= from_pool
                left_open -= from_pool
            if left_open > 0:
                (deposits if gl_id == deposit_gl else ordinary).append((gl_id, left_open))
    split: dict[int, Decimal] = {}
    left = amount
    for gl_id, open_amount in ordinary + deposits:
        if left <= 0:
            break
        used = min(left, open_amount)
        split[gl_id] = split.get(gl_id, ZERO) + used
        left -= used
    if left > 0:
        split[prepayment_gl] = split.get(prepayment_gl, ZERO) + left
    return tuple(split.items())


def outstanding(txns: Sequence[Txn], today: date) -> Outstanding:
    reducing = sum((t.total for t in txns if t.type in REDUCING_TYPES), ZERO)
    buckets = [ZERO, ZERO, ZERO, ZERO]
    for txn in sorted((t for t in txns if t.type in RECEIVABLE_TYPES), key=_order):
        used = min(reducing, txn.total)
        reducing -= used
        left = txn.total - used
        if left:
            buckets[_bucket((today - txn.date).days)] += left
    total = sum(buckets, ZERO) - reducing  # a prepayment shows as a negative current balance
    buckets[0] -= reducing
    return Outstanding(
        total, (buckets[0], buckets[1], buckets[2], buckets[3]), open_by_gl_account(txns)
    )


def _bucket(days: int) -> int:
    if days <= 30:
        return 0
    if days <= 60:
        return 1
    if days <= 90:
        return 2
    return 3


def _order(txn: Txn) -> tuple[date, int]:
    return txn.date, txn.id
