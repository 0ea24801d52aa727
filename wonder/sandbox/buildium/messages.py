"""Records of the store as the spec's messages (exactly their fields, nothing internal).

Money is ``Decimal`` in the store and a JSON number on the wire (``dumps`` writes it through
float, whose shortest repr keeps every cent).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import orjson

from wonder.sandbox.buildium.ledger import ZERO, Outstanding, Txn
from wonder.sandbox.buildium.store import BuildiumStore
from wonder.sandbox.clock import from_micros


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(payload: object) -> bytes:
    return orjson.dumps(payload, default=_default)


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def rental(store: BuildiumStore, record: dict[str, Any]) -> dict[str, Any]:
    out = public(record)
    out["NumberUnits"] = store.derived().units_per_property.get(int(record["Id"]), 0)
    return out


def unit(store: BuildiumStore, record: dict[str, Any]) -> dict[str, Any]:
    out = public(record)
    out["IsUnitOccupied"] = int(record["Id"]) in store.derived().occupied_units
    return out


def tenant(
    store: BuildiumStore, record: dict[str, Any], *, with_leases: bool = True
) -> dict[str, Any]:
    out = public(record)
    if with_leases:
        leases = store.records["leases"]
        out["Leases"] = [
            lease(store, leases[lease_id], with_tenants=False)
            for lease_id in store.derived().leases_of_tenant.get(int(record["Id"]), [])
        ]
    else:
        out["Leases"] = None
    return out


def lease(
    store: BuildiumStore, record: dict[str, Any], *, with_tenants: bool = True
) -> dict[str, Any]:
    out = public(record)
    links = record["_tenants"]
    out["Tenants"] = [dict(link) for link in links]
    out["MoveOutData"] = [dict(item) for item in record.get("_move_out_data") or []]
    if with_tenants:
        current = [
            store.records["tenants"][link["Id"]]
            for link in links
            if link["Status"] == "Current" and link["Id"] in store.records["tenants"]
        ]
        out["CurrentTenants"] = [tenant(store, t, with_leases=False) for t in current]
    else:
        out["CurrentTenants"] = None
    return out


def owner(store: BuildiumStore, record: dict[str, Any]) -> dict[str, Any]:
    return public(record)


def gl_account(store: BuildiumStore, record: dict[str, Any]) -> dict[str, Any]:
    return public(record)


def lease_transaction(store: BuildiumStore, txn: Txn) -> dict[str, Any]:
    lease_record = store.records["leases"].get(txn.lease_id)
    property_id = lease_record["PropertyId"] if lease_record else 0
    unit_id = lease_record["UnitId"] if lease_record else None
    return {
        "Id": txn.id,
        "Date": txn.date.isoformat(),
        "TransactionType": txn.type,
        "TransactionTypeEnum": txn.type,
        "TotalAmount": txn.total,
        "CheckNumber": None,
        "LeaseId": txn.lease_id,
        "PayeeTenantId": txn.payee_tenant_id,
        "PaymentMethod": txn.payment_method,
        "Journal": {
            "Memo": txn.memo,
            "Lines": [
                {
                    "GLAccount": gl_account(store, store.records["glaccounts"][gl_id]),
                    "Amount": amount,
                    "IsCashPosting": False,
                    "ReferenceNumber": None,
                    "Memo": txn.memo,
                    "PropertyId": property_id,
                    "UnitId": unit_id,
                }
                for gl_id, amount in txn.lines
            ],
        },
    }


def gl_transaction(store: BuildiumStore, txn: Txn) -> dict[str, Any]:
    """A lease transaction as the general ledger shows it, with its ``UnitAgreement``."""
    lease_record = store.records["leases"].get(txn.lease_id)
    property_id = lease_record["PropertyId"] if lease_record else 0
    unit_id = lease_record["UnitId"] if lease_record else None
    return {
        "Id": txn.id,
        "Date": txn.date.isoformat(),
        "TransactionType": txn.type,
        "TotalAmount": txn.total,
        "CheckNumber": None,
        "UnitAgreement": {
            "Id": txn.lease_id,
            "Type": "Lease",
            "Href": f"/v1/leases/{txn.lease_id}",
        },
        "UnitId": unit_id,
        "UnitNumber": lease_record["UnitNumber"] if lease_record else None,
        "PaymentDetail": None,
        "DepositDetails": None,
        "Application": None,
        "Journal": {
            "Memo": txn.memo,
            "Lines": [
                {
                    "GLAccount": gl_account(store, store.records["glaccounts"][gl_id]),
                    "Amount": amount,
                    "IsCashPosting": False,
                    "ReferenceNumber": None,
                    "Memo": txn.memo,
                    "AccountingEntity": {
                        "Id": property_id,
                        "AccountingEntityType": "Rental",
                        "Href": f"/v1/rentals/{property_id}",
                        "Unit": {"Id": unit_id, "Href": f"/v1/rentals/units/{unit_id}"}
                        if unit_id is not None
                        else None,
                    },
                }
                for gl_id, amount in txn.lines
            ],
        },
        "LastUpdatedDateTime": from_micros(txn.updated_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def outstanding_balance(record: dict[str, Any], balance: Outstanding) -> dict[str, Any]:
    b0, b30, b60, b90 = balance.aging
    return {
        "LeaseId": record["Id"],
        "PropertyId": record["PropertyId"],
        "UnitId": record["UnitId"],
        "Balance0To30Days": b0,
        "Balance31To60Days": b30,
        "Balance61To90Days": b60,
        "BalanceOver90Days": b90,
        "TotalBalance": balance.total,
        "Balances": [
            {"GlAccountId": gl_id, "TotalBalance": amount}
            for gl_id, amount in sorted(balance.by_gl_account.items())
        ],
        "PastDueEmailSentDate": None,
        "EvictionPendingDate": None,
        "IsNoticeGiven": bool(record.get("_move_out_data")),
    }


def total(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
