"""The Buildium sandbox's state: every entity in the shape its message has, and the ledger.

Entities are dicts holding the fields of their spec message (``RentalMessage``, ...), except
what is derived when served (a rental's ``NumberUnits``, a unit's ``IsUnitOccupied``, a lease's
tenants); keys starting with ``_`` are internal. ``updated[resource][id]`` is when each record
last changed (epoch microseconds on the sandbox clock), what ``lastupdatedfrom/to`` filter on
even for resources whose bodies carry no timestamp. Every change goes through ``touch`` and
``post``, which stamp it and hand its webhook event to ``emit`` (none for rental owners:
Buildium sends no owner events). One re-entrant lock guards everything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from wonder.sandbox.buildium.ledger import Outstanding, Txn, allocate, outstanding
from wonder.sandbox.clock import SandboxClock, from_micros

RESOURCES = ("glaccounts", "owners", "rentals", "units", "tenants", "leases", "transactions")
# The webhook event of a change, and the field that names the entity in it.
EVENTS: dict[str, tuple[str, str]] = {
    "rentals": ("Rental", "PropertyId"),
    "units": ("RentalUnit", "UnitId"),
    "tenants": ("LeaseTenant", "TenantId"),
    "leases": ("Lease", "LeaseId"),
    "glaccounts": ("GLAccount", "GLAccountId"),
}
ID_BASES = {
    "glaccounts": 1,
    "owners": 100,
    "rentals": 1_000,
    "units": 10_000,
    "tenants": 100_000,
    "leases": 200_000,
    "transactions": 1_000_000,
}


@dataclass
class Derived:
    units_per_property: dict[int, int] = field(default_factory=dict)
    occupied_units: set[int] = field(default_factory=set)
    leases_of_tenant: dict[int, list[int]] = field(default_factory=dict)


Emit = Callable[[dict[str, Any]], None]


def event_time(micros: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.fffffffZ``: Buildium's seven fraction digits."""
    moment = from_micros(micros)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


class BuildiumStore:
    def __init__(self, clock: SandboxClock, account_id: int) -> None:
        self.clock = clock
        self.account_id = account_id
        self.lock = threading.RLock()
        self.records: dict[str, dict[int, dict[str, Any]]] = {r: {} for r in RESOURCES}
        self.updated: dict[str, dict[int, int]] = {r: {} for r in RESOURCES}
        self.txns: dict[int, Txn] = {}
        self.ledger: dict[int, list[Txn]] = {}
        self._next_id = dict(ID_BASES)
        self.emit: Emit | None = None  # None while seeding: no events
        self.events_sent = 0
        self.version = 0  # moves on every change (derived indexes are rebuilt after one)
        self._derived: tuple[int, Derived] | None = None
        self._balances: dict[int, tuple[tuple[int, date], Outstanding]] = {}

    # ------------------------------------------------------------ reading

    def today(self) -> date:
        return self.clock.now().date()

    def get(self, resource: str, record_id: int) -> dict[str, Any] | None:
        return self.records[resource].get(record_id)

    def derived(self) -> Derived:
        """Indexes over the records, rebuilt (one pass) after any change."""
        cached = self._derived
        if cached is not None and cached[0] == self.version:
            return cached[1]
        derived = Derived()
        for unit in self.records["units"].values():
            pid = int(unit["PropertyId"])
            derived.units_per_property[pid] = derived.units_per_property.get(pid, 0) + 1
        for lease in self.records["leases"].values():
            if lease["LeaseStatus"] == "Active":
                derived.occupied_units.add(int(lease["UnitId"]))
            for link in lease["_tenants"]:
                derived.leases_of_tenant.setdefault(int(link["Id"]), []).append(int(lease["Id"]))
        self._derived = (self.version, derived)
        return derived

    def balance(self, lease_id: int) -> Outstanding:
        """What the lease owes today, cached until its ledger grows (entries only append)."""
        ledger = self.ledger.get(lease_id, [])
        key = (len(ledger), self.today())
        cached = self._balances.get(lease_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        result = outstanding(ledger, key[1])
        self._balances[lease_id] = (key, result)
        return result

    # ------------------------------------------------------------ changing

    def new_id(self, resource: str) -> int:
        value = self._next_id[resource]
        self._next_id[resource] = value + 1
        return value

    def changed(self) -> None:
        self.version += 1

    def add(self, resource: str, record: dict[str, Any], *, event: str = "Created") -> None:
        self.records[resource][int(record["Id"])] = record
        self.touch(resource, int(record["Id"]), event)

    def touch(self, resource: str, record_id: int, event: str = "Updated") -> int:
        now = self.clock.now_micros()
        self.version += 1
        self.updated[resource][record_id] = now
        record = self.records[resource].get(record_id)
        if resource == "leases" and record is not None:
            record["LastUpdatedDateTime"] = from_micros(now).strftime("%Y-%m-%dT%H:%M:%SZ")
        names = EVENTS.get(resource)
        if names is not None:
            self.send(f"{names[0]}.{event}", {names[1]: record_id}, now)
        return now

    def send(self, name: str, ids: Mapping[str, Any], at: int | None = None) -> None:
        if self.emit is None:
            return
        moment = self.clock.now_micros() if at is None else at
        payload = {
            "EventName": name,
            "EventDateTime": event_time(moment),
            "AccountId": self.account_id,
            **ids,
        }
        self.events_sent += 1
        self.emit(payload)

    def post(
        self,
        lease_id: int,
        kind: str,
        on: date,
        amount_or_lines: Decimal | tuple[tuple[int, Decimal], ...],
        *,
        memo: str | None = None,
        payee_tenant_id: int | None = None,
        payment_method: str | None = None,
    ) -> Txn:
        """A charge (its lines), or a payment/credit (an amount, allocated to GL accounts)."""
        ledger = self.ledger.setdefault(lease_id, [])
        if isinstance(amount_or_lines, tuple):
            lines = amount_or_lines
        else:
            lines = allocate(ledger, amount_or_lines)
        txn = Txn(
            self.new_id("transactions"),
            lease_id,
            on,
            kind,
            lines,
            memo,
            payee_tenant_id,
            payment_method,
            self.clock.now_micros(),
        )
        ledger.append(txn)
        self.version += 1
        self.txns[txn.id] = txn
        self.updated["transactions"][txn.id] = txn.updated_at
        self.send(
            "LeaseTransaction.Created",
            {"TransactionId": txn.id, "TransactionType": kind},
            txn.updated_at,
        )
        return txn
