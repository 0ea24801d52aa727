"""A seeded portfolio: GL accounts, owners with several properties, rentals and their units,
tenants and leases (current, and some moved out), and ``history_months`` of ledger.

Deterministic by ``(seed, sizes, start day)``; runs without events (nothing is subscribed yet).
10,000 leases with six months of ledger build in a few seconds.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from wonder.sandbox.buildium.business import (
    active_on,
    month_cycle,
    month_start,
    move_in,
    move_out,
    next_month,
)
from wonder.sandbox.buildium.config import BuildiumSandboxConfig
from wonder.sandbox.buildium.store import BuildiumStore

FIRST = (
    "Ava",
    "Ben",
    "Cara",
    "Dev",
    "Elena",
    "Femi",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Marco",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Vik",
)
LAST = (
    "Adams",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fox",
    "Garcia",
    "Hughes",
    "Ito",
    "Jones",
    "Kim",
    "Lopez",
    "Moore",
    "Nguyen",
    "Okafor",
    "Patel",
    "Reyes",
    "Singh",
    "Tran",
    "Walsh",
)
STREETS = ("Wonder", "Elm", "Harbor", "Maple", "Cedar", "Union", "Lake", "Summit", "Grove")
CITIES = (("Boston", "MA", "02118"), ("Cambridge", "MA", "02139"), ("Somerville", "MA", "02143"))
SUBTYPES = ("MultiFamily", "MultiFamily", "SingleFamily", "CondoTownhome")
BEDROOMS = ("Studio", "OneBed", "TwoBed", "ThreeBed")
BATHROOMS = ("OneBath", "OnePointFiveBath", "TwoBath")

GL_ACCOUNTS: tuple[tuple[int, str, str, str, str, bool], ...] = (
    (1, "1000", "Operating Bank", "Asset", "CurrentAsset", True),
    (2, "1100", "Accounts Receivable", "Asset", "CurrentAsset", False),
    (3, "2100", "Security Deposit Liability", "Liability", "CurrentLiability", False),
    (4, "2200", "Prepaid Rent", "Liability", "CurrentLiability", False),
    (5, "4000", "Rent Income", "Income", "Income", False),
    (6, "4100", "Late Fee Income", "Income", "Income", False),
    (7, "4200", "Utility Income", "Income", "Income", False),
    (8, "5000", "Repairs", "Expense", "OperatingExpenses", False),
)


def address(rng: random.Random, number: int | None = None) -> dict[str, Any]:
    city, state, postal = rng.choice(CITIES)
    return {
        "AddressLine1": f"{number or rng.randint(1, 999)} {rng.choice(STREETS)} St",
        "AddressLine2": None,
        "AddressLine3": None,
        "City": city,
        "State": state,
        "PostalCode": postal,
        "Country": "UnitedStates",
    }


def person(rng: random.Random) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return first, last, f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.com"


def phone(rng: random.Random) -> list[dict[str, Any]]:
    return [{"Number": f"617-555-{rng.randint(0, 9999):04d}", "Type": "Cell"}]


def new_tenant(store: BuildiumStore, rng: random.Random, home: dict[str, Any]) -> dict[str, Any]:
    first, last, email = person(rng)
    tenant = {
        "Id": store.new_id("tenants"),
        "FirstName": first,
        "LastName": last,
        "Email": email,
        "AlternateEmail": None,
        "PhoneNumbers": phone(rng),
        "CreatedDateTime": store.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "EmergencyContact": None,
        "DateOfBirth": None,
        "SMSOptInStatus": "NotSet",
        "Address": dict(home),
        "AlternateAddress": None,
        "MailingPreference": "PrimaryAddress",
        "Comment": None,
        "TaxId": None,
    }
    store.add("tenants", tenant)
    return tenant


def gl_account(row: tuple[int, str, str, str, str, bool]) -> dict[str, Any]:
    gl_id, number, name, kind, subtype, bank = row
    return {
        "Id": gl_id,
        "AccountNumber": number,
        "Name": name,
        "Description": None,
        "Type": kind,
        "SubType": subtype,
        "IsDefaultGLAccount": gl_id in (2, 3, 5, 6),
        "DefaultAccountName": name if gl_id in (2, 3, 5, 6) else None,
        "IsContraAccount": False,
        "IsBankAccount": bank,
        "CashFlowClassification": None,
        "ExcludeFromCashBalances": False,
        "SubAccounts": None,
        "IsActive": True,
        "ParentGLAccountId": None,
    }


def seed(store: BuildiumStore, config: BuildiumSandboxConfig) -> random.Random:
    """Fill ``store``; returns the generator that later changes go on drawing from."""
    rng = random.Random(config.seed)
    today = store.today()
    for row in GL_ACCOUNTS:
        store.add("glaccounts", gl_account(row))
    rentals = [_rental(store, rng, index) for index in range(config.properties)]
    owner_count = config.owners or max(1, config.properties // 3)
    _owners(store, rng, rentals, owner_count, today)
    units = _units(store, rng, rentals, config.units)
    history_start = month_start(today)
    for _ in range(config.history_months - 1):
        history_start = month_start(history_start - timedelta(days=1))
    _leases(store, rng, units, config.leases, history_start, today)
    first = history_start
    while first <= today:
        month_cycle(store, rng, first, today)
        first = next_month(first)
    return rng


def _rental(store: BuildiumStore, rng: random.Random, index: int) -> dict[str, Any]:
    home = address(rng, 10 + index)
    rental = {
        "Id": store.new_id("rentals"),
        "Name": f"{home['AddressLine1']} {rng.choice(('Apartments', 'House', 'Flats', 'Lofts'))}",
        "StructureDescription": None,
        "IsActive": True,
        "OperatingBankAccountId": 1,
        "Reserve": Decimal(rng.randint(0, 20) * 250),
        "Address": home,
        "YearBuilt": rng.randint(1890, 2020),
        "RentalType": "Residential",
        "RentalSubType": rng.choice(SUBTYPES),
        "RentalManager": None,
    }
    store.add("rentals", rental)
    return rental


def _owners(
    store: BuildiumStore,
    rng: random.Random,
    rentals: list[dict[str, Any]],
    count: int,
    today: date,
) -> None:
    owned: list[list[int]] = [[] for _ in range(count)]
    for index, rental in enumerate(rentals):  # every owner gets one, the rest at random
        owned[index if index < count else rng.randrange(count)].append(int(rental["Id"]))
    for property_ids in owned:
        first, last, email = person(rng)
        company = rng.random() < 0.3
        store.add(
            "owners",
            {
                "Id": store.new_id("owners"),
                "IsCompany": company,
                "IsActive": True,
                "FirstName": None if company else first,
                "LastName": None if company else last,
                "PhoneNumbers": phone(rng),
                "Email": email,
                "AlternateEmail": None,
                "Comment": None,
                "Address": address(rng),
                "ManagementAgreementStartDate": (
                    today - timedelta(days=rng.randint(200, 2000))
                ).isoformat(),
                "ManagementAgreementEndDate": None,
                "CompanyName": f"{last} Holdings LLC" if company else None,
                "PropertyIds": property_ids,
                "TaxInformation": None,
            },
        )


def _units(
    store: BuildiumStore, rng: random.Random, rentals: list[dict[str, Any]], count: int
) -> list[dict[str, Any]]:
    per_rental = [1] * len(rentals)
    for _ in range(max(0, count - len(rentals))):
        per_rental[rng.randrange(len(rentals))] += 1
    units: list[dict[str, Any]] = []
    for rental, how_many in zip(rentals, per_rental, strict=True):
        for number in range(1, how_many + 1):
            bedrooms = rng.randrange(len(BEDROOMS))
            unit = {
                "Id": store.new_id("units"),
                "PropertyId": rental["Id"],
                "BuildingName": None,
                "UnitNumber": str(number) if how_many > 1 else "1",
                "Description": None,
                "MarketRent": Decimal(1200 + bedrooms * 450 + rng.randint(0, 20) * 25),
                "Address": dict(rental["Address"]),
                "UnitBedrooms": BEDROOMS[bedrooms],
                "UnitBathrooms": rng.choice(BATHROOMS),
                "UnitSize": 400 + bedrooms * 250 + rng.randint(0, 200),
                "IsUnitListed": False,
            }
            store.add("units", unit)
            units.append(unit)
    return units


def _leases(
    store: BuildiumStore,
    rng: random.Random,
    units: list[dict[str, Any]],
    count: int,
    history_start: date,
    today: date,
) -> None:
    """Up to one current lease per unit (most units let); leases beyond the unit count, and
    about one in twelve, moved out during the history."""
    order = list(units)
    rng.shuffle(order)
    for index in range(count):
        unit = order[index % len(order)]
        moves_out = index >= len(order) or rng.random() < 0.08
        span = (today - history_start).days
        if moves_out:
            start = history_start - timedelta(days=rng.randint(30, 400))
        else:
            start = today - timedelta(days=rng.randint(0, span + 700))
        tenants = [new_tenant(store, rng, unit["Address"]) for _ in range(rng.choice((1, 1, 2)))]
        lease = move_in(store, rng, unit, start, tenants)
        if moves_out:
            ended = history_start + timedelta(days=rng.randint(10, max(11, span - 1)))
            lease["_pending_move_out"] = min(ended, today).isoformat()
    for lease in list(store.records["leases"].values()):
        pending = lease.pop("_pending_move_out", None)
        if pending is not None:
            move_out(store, lease, date.fromisoformat(pending))
        elif not active_on(lease, today):
            lease["LeaseStatus"] = "Future"
    store.changed()
