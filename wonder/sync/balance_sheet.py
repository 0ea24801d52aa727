"""The PM Balance Sheet: mirrored lease ledgers → rows per lease, rolled up per unit and property.
Pure, exact Decimal money (a float amount is a TypeError, never rounded through).

How a ledger line counts, by transaction type and by whether its GL account is a deposit account
(:func:`deposit_account_ids`: a Liability account named like a deposit, e.g. "Security Deposit
Liability"; Prepayments is a Liability too but is rent paid ahead, so it counts as a payment):

==================  ==============================  ======================================
type                line on a rent/fee account      line on a deposit account
==================  ==============================  ======================================
Charge              charges                         deposit charged (not rent owed)
Payment             payments                        deposit paid → deposits held
Credit              credits                         deposit charge waived
ReversePayment      payments - amount               deposit paid - amount
Refund              payments - amount (refunded)    deposits held - amount (returned)
ApplyDeposit        payments, deposits held - amt   deposits held - amount
others              not counted; listed in ``unclassified``
==================  ==============================  ======================================

``balance`` = charges - payments - credits (rent owed; negative is a credit balance).
``deposit_due`` = deposits charged - waived - paid. ``outstanding`` = balance + deposit_due: what
Buildium's outstanding balance (``LeaseOutstandingBalanceMessage.TotalBalance``) reports, because
an unpaid deposit charge is a receivable there although it is not rent owed.

Delinquency: payments and credits settle rent/fee charges oldest first (by date, then transaction
id); the oldest charge left (partly) unpaid gives ``oldest_unpaid_charge`` and ``days_delinquent``
(days from it to ``as_of``; 0 when nothing is unpaid). Only entries dated on or before ``as_of``
count. Every line amount is quantized to cents on entry (ROUND_HALF_EVEN, the ledger's unit and
banker's rounding, unbiased over many lines: Buildium amounts already have two decimals, so this
only matters for malformed input); after that every sum is exact, so the roll-ups add up to the
cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from wonder.db.enums import BalanceScope, GLAccountType, LeaseTransactionType

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
T = LeaseTransactionType


@dataclass(frozen=True)
class LedgerLine:
    """One journal line of a lease transaction, as mirrored."""

    transaction_id: int
    lease_id: int
    date: date
    transaction_type: LeaseTransactionType
    gl_account_id: int | None
    amount: Decimal


@dataclass(frozen=True)
class LeaseRef:
    lease_id: int
    unit_id: int
    property_id: int


@dataclass(frozen=True)
class AccountRef:
    id: int
    type: GLAccountType
    name: str | None
    default_account_name: str | None = None


@dataclass(frozen=True)
class BalanceRow:
    scope: BalanceScope
    entity_id: int
    property_id: int
    unit_id: int | None
    lease_id: int | None
    charges: Decimal = ZERO
    payments: Decimal = ZERO
    credits: Decimal = ZERO
    balance: Decimal = ZERO
    deposits_held: Decimal = ZERO
    deposit_due: Decimal = ZERO
    outstanding: Decimal = ZERO
    days_delinquent: int = 0
    oldest_unpaid_charge: date | None = None


MONEY_FIELDS = (
    "charges",
    "payments",
    "credits",
    "balance",
    "deposits_held",
    "deposit_due",
    "outstanding",
)


@dataclass(frozen=True)
class BalanceSheet:
    as_of: date
    leases: tuple[BalanceRow, ...]
    units: tuple[BalanceRow, ...]
    properties: tuple[BalanceRow, ...]
    # Transactions of a type the sheet does not count (listed so they are never silently lost).
    unclassified: tuple[int, ...] = ()
    # Ledger lines of leases not given (e.g. a deleted lease): not counted, listed.
    orphan_lease_ids: tuple[int, ...] = ()

    def rows(self) -> tuple[BalanceRow, ...]:
        return self.leases + self.units + self.properties


def deposit_account_ids(accounts: Iterable[AccountRef]) -> frozenset[int]:
    """Liability accounts that hold tenants' deposits (by name: Buildium has no deposit flag)."""
    return frozenset(
        a.id
        for a in accounts
        if a.type is GLAccountType.LIABILITY
        and "deposit" in f"{a.name or ''} {a.default_account_name or ''}".lower()
    )


def cents(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__} {amount!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass
class _Totals:
    charges: Decimal = ZERO
    payments: Decimal = ZERO
    credits: Decimal = ZERO
    deposit_charged: Decimal = ZERO
    deposit_paid: Decimal = ZERO
    deposit_released: Decimal = ZERO
    charge_items: dict[tuple[date, int], Decimal] = field(default_factory=dict)


def _count(totals: _Totals, line: LedgerLine, amount: Decimal, deposit: bool) -> bool:
    """Add one line to the lease's totals; False when its type is not counted."""
    kind = line.transaction_type
    if kind is T.CHARGE and deposit:
        totals.deposit_charged += amount
    elif kind is T.CHARGE:
        totals.charges += amount
        key = (line.date, line.transaction_id)
        totals.charge_items[key] = totals.charge_items.get(key, ZERO) + amount
    elif kind is T.PAYMENT and deposit:
        totals.deposit_paid += amount
    elif kind is T.PAYMENT:
        totals.payments += amount
    elif kind is T.CREDIT and deposit:
        totals.deposit_charged -= amount
    elif kind is T.CREDIT:
        totals.credits += amount
    elif kind is T.REVERSE_PAYMENT and deposit:
        totals.deposit_paid -= amount
    elif kind in (T.REVERSE_PAYMENT, T.REFUND) and not deposit:
        totals.payments -= amount
    elif kind is T.REFUND:
        totals.deposit_released += amount
    elif kind is T.APPLY_DEPOSIT:
        totals.deposit_released += amount
        if not deposit:
            totals.payments += amount
    else:
        return False
    return True


def _oldest_unpaid(charge_items: dict[tuple[date, int], Decimal], settled: Decimal) -> date | None:
    """Settle charges oldest first with ``settled``; the date of the first one left unpaid."""
    pool = settled + sum((a for a in charge_items.values() if a < 0), ZERO)
    for (when, _), amount in sorted(charge_items.items()):
        if amount <= 0:
            continue
        if pool >= amount:
            pool -= amount
            continue
        return when
    return None


def _lease_row(lease: LeaseRef, totals: _Totals, as_of: date) -> BalanceRow:
    balance = totals.charges - totals.payments - totals.credits
    deposit_due = totals.deposit_charged - totals.deposit_paid
    oldest = (
        _oldest_unpaid(totals.charge_items, totals.payments + totals.credits)
        if balance > 0
        else None
    )
    return BalanceRow(
        scope=BalanceScope.LEASE,
        entity_id=lease.lease_id,
        property_id=lease.property_id,
        unit_id=lease.unit_id,
        lease_id=lease.lease_id,
        charges=totals.charges,
        payments=totals.payments,
        credits=totals.credits,
        balance=balance,
        deposits_held=totals.deposit_paid - totals.deposit_released,
        deposit_due=deposit_due,
        outstanding=balance + deposit_due,
        days_delinquent=(as_of - oldest).days if oldest else 0,
        oldest_unpaid_charge=oldest,
    )


def roll_up(
    scope: BalanceScope, entity_id: int, property_id: int, rows: Sequence[BalanceRow]
) -> BalanceRow:
    """The sum of lease rows (money exactly), their worst delinquency, their oldest unpaid."""
    money = {f: sum((getattr(r, f) for r in rows), ZERO) for f in MONEY_FIELDS}
    unpaid = [r.oldest_unpaid_charge for r in rows if r.oldest_unpaid_charge is not None]
    return BalanceRow(
        scope=scope,
        entity_id=entity_id,
        property_id=property_id,
        unit_id=entity_id if scope is BalanceScope.UNIT else None,
        lease_id=None,
        days_delinquent=max((r.days_delinquent for r in rows), default=0),
        oldest_unpaid_charge=min(unpaid, default=None),
        **money,
    )


def compute_balance_sheet(
    leases: Iterable[LeaseRef],
    lines: Iterable[LedgerLine],
    deposit_accounts: frozenset[int],
    as_of: date,
) -> BalanceSheet:
    """Rows per lease (every lease given, with or without entries), per unit, per property."""
    by_lease = {lease.lease_id: lease for lease in leases}
    totals = {lease_id: _Totals() for lease_id in by_lease}
    unclassified: set[int] = set()
    orphans: set[int] = set()
    for line in lines:
        amount = cents(line.amount)
        if line.date > as_of:
            continue
        if line.lease_id not in totals:
            orphans.add(line.lease_id)
            continue
        deposit = line.gl_account_id in deposit_accounts
        if not _count(totals[line.lease_id], line, amount, deposit):
            unclassified.add(line.transaction_id)
    lease_rows = [_lease_row(by_lease[i], totals[i], as_of) for i in sorted(by_lease)]
    units: dict[int, list[BalanceRow]] = defaultdict(list)
    properties: dict[int, list[BalanceRow]] = defaultdict(list)
    for row in lease_rows:
        units[row.unit_id or 0].append(row)
        properties[row.property_id].append(row)
    return BalanceSheet(
        as_of=as_of,
        leases=tuple(lease_rows),
        units=tuple(
            roll_up(BalanceScope.UNIT, unit_id, rows[0].property_id, rows)
            for unit_id, rows in sorted(units.items())
        ),
        properties=tuple(
            roll_up(BalanceScope.PROPERTY, property_id, property_id, rows)
            for property_id, rows in sorted(properties.items())
        ),
        unclassified=tuple(sorted(unclassified)),
        orphan_lease_ids=tuple(sorted(orphans)),
    )


def money_of(row: BalanceRow) -> dict[str, Decimal]:
    return {f.name: getattr(row, f.name) for f in fields(row) if f.name in MONEY_FIELDS}
