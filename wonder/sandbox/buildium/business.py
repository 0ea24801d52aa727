"""What happens in a rental business, month by month: rent charges, payments (full, partial,
late, none), late fees, credits, move-ins with a security deposit, move-outs, and edits.

The seeding (``portfolio``) and ``POST /_sandbox/advance`` both run these on the store, so the
seeded history and the months played later look the same. Randomness comes only from the
``random.Random`` passed in (deterministic by seed).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from wonder.sandbox.buildium.ledger import DEPOSIT_GL
from wonder.sandbox.buildium.store import BuildiumStore

BANK_GL = 1
RENT_GL = 5
LATE_FEE_GL = 6
CREDIT_MEMO = "Rent concession"
# How a lease's tenants pay, and how often: on time, late (with a late fee), partially, not.
PAYERS = (("on_time", 70), ("late", 15), ("partial", 10), ("none", 5))
PAYMENT_METHODS = ("Check", "ElectronicPayment", "MoneyOrder", "CashierCheck")
CENTS = Decimal("0.01")


def payer_of(lease: dict[str, Any]) -> str:
    return str(lease["_payer"])


def pick_payer(rng: random.Random) -> str:
    return rng.choices([p for p, _ in PAYERS], weights=[w for _, w in PAYERS])[0]


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def late_fee(rent: Decimal) -> Decimal:
    return max(Decimal("50.00"), (rent * Decimal("0.05")).quantize(CENTS))


def rent_of(lease: dict[str, Any]) -> Decimal:
    return Decimal(lease["AccountDetails"]["Rent"])


def active_on(lease: dict[str, Any], day: date) -> bool:
    start = date.fromisoformat(lease["LeaseFromDate"])
    if start > day:
        return False
    end = lease.get("_moved_out")
    return end is None or date.fromisoformat(end) >= day


def month_cycle(store: BuildiumStore, rng: random.Random, first: date, today: date) -> int:
    """One month of every lease active on ``first``: rent, then what its tenants do; only what
    is dated on or before ``today`` is posted. Returns the transactions posted."""
    posted = 0
    for lease in list(store.records["leases"].values()):
        if not active_on(lease, first):
            continue
        posted += _lease_month(store, rng, lease, first, today)
    return posted


def _lease_month(
    store: BuildiumStore, rng: random.Random, lease: dict[str, Any], first: date, today: date
) -> int:
    lease_id = int(lease["Id"])
    rent = rent_of(lease)
    payee = lease["_tenants"][0]["Id"] if lease["_tenants"] else None
    method = rng.choice(PAYMENT_METHODS)
    plan: list[tuple[date, str, Decimal]] = [(first, "rent", rent)]
    payer = payer_of(lease) if rng.random() < 0.85 else pick_payer(rng)
    fee_day = first + timedelta(days=5)
    if payer == "on_time":
        plan.append((first + timedelta(days=rng.randint(0, 4)), "pay", rent))
    elif payer == "late":
        plan.append((fee_day, "fee", late_fee(rent)))
        plan.append((first + timedelta(days=rng.randint(8, 20)), "pay", rent + late_fee(rent)))
    elif payer == "partial":
        share = Decimal(rng.choice(("0.5", "0.6", "0.75", "0.9")))
        plan.append(
            (first + timedelta(days=rng.randint(0, 4)), "pay", (rent * share).quantize(CENTS))
        )
        plan.append((fee_day, "fee", late_fee(rent)))
    else:
        plan.append((fee_day, "fee", late_fee(rent)))
    if rng.random() < 0.03:
        plan.append(
            (first + timedelta(days=rng.randint(0, 25)), "credit", Decimal(rng.randint(2, 10) * 10))
        )
    posted = 0
    for on, kind, amount in sorted(plan, key=lambda step: step[0]):
        if on > today:
            continue
        if kind == "rent":
            store.post(lease_id, "Charge", on, ((RENT_GL, amount),), memo="Rent")
        elif kind == "fee":
            store.post(lease_id, "Charge", on, ((LATE_FEE_GL, amount),), memo="Late fee")
        elif kind == "credit":
            store.post(lease_id, "Credit", on, amount, memo=CREDIT_MEMO)
        else:
            store.post(
                lease_id, "Payment", on, amount, payee_tenant_id=payee, payment_method=method
            )
        posted += 1
    return posted


def move_in(
    store: BuildiumStore,
    rng: random.Random,
    unit: dict[str, Any],
    start: date,
    tenants: list[dict[str, Any]],
    *,
    status: str = "Active",
) -> dict[str, Any]:
    """A new lease on ``unit`` for ``tenants`` (already added), with its security deposit
    charged and paid on ``start`` when that day has come."""
    rent = Decimal(unit["MarketRent"])
    deposit = rent if rng.random() < 0.7 else (rent / 2).quantize(CENTS)
    fixed = rng.random() < 0.8
    end = start + timedelta(days=364) if fixed else None
    lease_id = store.new_id("leases")
    lease: dict[str, Any] = {
        "Id": lease_id,
        "PropertyId": unit["PropertyId"],
        "UnitId": unit["Id"],
        "UnitNumber": unit["UnitNumber"],
        "LeaseFromDate": start.isoformat(),
        "LeaseToDate": end.isoformat() if end else None,
        "LeaseType": "Fixed" if fixed else "AtWill",
        "LeaseStatus": status,
        "IsEvictionPending": False,
        "TermType": "Standard" if fixed else "MonthToMonth",
        "RenewalOfferStatus": "NotSet",
        "CurrentNumberOfOccupants": len(tenants),
        "AccountDetails": {"SecurityDeposit": deposit, "Rent": rent},
        "Cosigners": [],
        "AutomaticallyMoveOutTenants": False,
        "CreatedDateTime": store.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "LastUpdatedDateTime": None,
        "PaymentDueDay": 1,
        "_tenants": [
            {"Id": t["Id"], "Status": "Current", "MoveInDate": start.isoformat()} for t in tenants
        ],
        "_moved_out": None,
        "_payer": pick_payer(rng),
    }
    store.add("leases", lease)
    # One tenant in five pays only half the deposit at move-in (the rest stays owed: Buildium's
    # outstanding balance counts it, though it is no rent).
    paid = deposit if rng.random() < 0.8 else (deposit / 2).quantize(CENTS)
    if start <= store.today():
        store.post(lease_id, "Charge", start, ((DEPOSIT_GL, deposit),), memo="Security deposit")
        store.post(
            lease_id,
            "Payment",
            start,
            ((DEPOSIT_GL, paid),),
            payee_tenant_id=tenants[0]["Id"],
            payment_method="Check",
        )
    return lease


def move_out(store: BuildiumStore, lease: dict[str, Any], on: date) -> None:
    lease["LeaseStatus"] = "Past"
    lease["_moved_out"] = on.isoformat()
    lease["LeaseToDate"] = on.isoformat()
    notice = (on - timedelta(days=30)).isoformat()
    lease["_move_out_data"] = [
        {"TenantId": t["Id"], "MoveOutDate": on.isoformat(), "NoticeGivenDate": notice}
        for t in lease["_tenants"]
    ]
    for tenant in lease["_tenants"]:
        tenant["Status"] = "MovedOut"
    store.touch("leases", int(lease["Id"]))
    for tenant in lease["_tenants"]:
        store.send("Lease.MoveOut.Created", {"LeaseId": lease["Id"], "TenantId": tenant["Id"]})


def edit_one(store: BuildiumStore, rng: random.Random) -> str:
    """Change one record the way people do; returns the resource changed."""
    resource = rng.choice(("rentals", "units", "tenants", "owners", "leases"))
    records = store.records[resource]
    if not records:
        return resource
    record = records[rng.choice(sorted(records))]
    if resource == "rentals":
        record["Reserve"] = Decimal(rng.randint(0, 40) * 250)
    elif resource == "units":
        record["MarketRent"] = Decimal(record["MarketRent"] or 0) + Decimal(
            rng.choice((25, 50, -25))
        )
    elif resource == "tenants":
        record["Email"] = f"{record['FirstName'].lower()}.{rng.randint(1, 9999)}@example.com"
    elif resource == "owners":
        record["Comment"] = rng.choice(("Prefers email", "Quarterly statements", None))
    else:
        record["IsEvictionPending"] = rng.random() < 0.1 and record["LeaseStatus"] == "Active"
    store.touch(resource, int(record["Id"]))
    return resource
