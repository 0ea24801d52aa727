"""The Buildium resources: one function per operation of ``contract.OPERATIONS``.

Each takes the store, the parsed query and the path ids, and returns (status, payload); list
operations also return their total for ``X-Total-Count``. Filters are the spec's for each list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from wonder.sandbox.buildium import messages
from wonder.sandbox.buildium.queries import Query, QueryError, order, page, updated_between
from wonder.sandbox.buildium.store import BuildiumStore

Answer = tuple[int, Any, int | None]  # status, payload, X-Total-Count


class NotFoundError(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found.")
        self.message = f"{what} not found."


def _listed(
    query: Query,
    records: list[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Answer:
    """Order, page, then render only the page, when the order names stored fields (it does
    for ``Id``); an order on a derived field renders everything first."""
    orderby = query.one("orderby")
    if render is not None and not _orders_stored(orderby, records):
        records, render = [render(r) for r in records], None
    items, total = page(query, order(records, orderby))
    return 200, [render(r) for r in items] if render else items, total


def _orders_stored(orderby: str | None, records: list[dict[str, Any]]) -> bool:
    if not orderby or not records:
        return True
    stored = {name.lower() for name in records[0] if not name.startswith("_")}
    return all(
        term.strip().split(" ")[0].lower() in stored for term in orderby.split(",") if term.strip()
    )


def _record(store: BuildiumStore, resource: str, record_id: int, what: str) -> dict[str, Any]:
    record = store.get(resource, record_id)
    if record is None:
        raise NotFoundError(what)
    return record


def _in(values: list[int] | None, value: Any) -> bool:
    return values is None or value in values


def list_rentals(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    keep = updated_between(query, store.updated["rentals"])
    property_ids, owner_ids = query.ints("propertyids"), query.ints("rentalownerids")
    status = query.one("status")
    owned: set[int] | None = None
    if owner_ids is not None:
        owned = {
            pid
            for oid in owner_ids
            for pid in (store.get("owners", oid) or {}).get("PropertyIds", [])
        }
    rows = [
        r
        for rid, r in store.records["rentals"].items()
        if keep(rid)
        and _in(property_ids, rid)
        and (owned is None or rid in owned)
        and (status is None or r["IsActive"] == (status == "Active"))
    ]
    return _listed(query, rows, lambda r: messages.rental(store, r))


def list_units(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    keep = updated_between(query, store.updated["units"])
    property_ids = query.ints("propertyids")
    rows = [
        u
        for uid, u in store.records["units"].items()
        if keep(uid) and _in(property_ids, u["PropertyId"])
    ]
    return _listed(query, rows, lambda r: messages.unit(store, r))


def list_owners(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    keep = updated_between(query, store.updated["owners"])
    property_ids = query.ints("propertyids")
    rows = [
        messages.owner(store, o)
        for oid, o in store.records["owners"].items()
        if keep(oid) and (property_ids is None or set(property_ids) & set(o["PropertyIds"]))
    ]
    return _listed(query, rows)


def list_tenants(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    keep = updated_between(query, store.updated["tenants"])
    property_ids, unit_ids = query.ints("propertyids"), query.ints("unitids")
    statuses = query.strings("leasetermstatuses")
    leases_of = store.derived().leases_of_tenant
    leases = store.records["leases"]
    rows = []
    for tid, tenant in store.records["tenants"].items():
        if not keep(tid):
            continue
        theirs = [leases[lid] for lid in leases_of.get(tid, [])]
        if property_ids is not None and not any(x["PropertyId"] in property_ids for x in theirs):
            continue
        if unit_ids is not None and not any(x["UnitId"] in unit_ids for x in theirs):
            continue
        if statuses is not None and not any(x["LeaseStatus"] in statuses for x in theirs):
            continue
        rows.append(tenant)
    return _listed(query, rows, lambda r: messages.tenant(store, r))


def list_leases(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    keep = updated_between(query, store.updated["leases"])
    property_ids = query.ints("propertyids")
    statuses = query.strings("leasestatuses")
    rows = [
        x
        for lid, x in store.records["leases"].items()
        if keep(lid)
        and _in(property_ids, x["PropertyId"])
        and (statuses is None or x["LeaseStatus"] in statuses)
    ]
    return _listed(query, rows, lambda r: messages.lease(store, r))


def list_lease_transactions(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    _record(store, "leases", ids[0], "Lease")
    low, high = query.day("transactiondatefrom"), query.day("transactiondateto")
    types = query.strings("transactiontypes")
    rows = [
        messages.lease_transaction(store, t)
        for t in store.ledger.get(ids[0], [])
        if (low is None or t.date >= low)
        and (high is None or t.date <= high)
        and (types is None or t.type in types)
    ]
    return _listed(query, rows)


def get_lease_transaction(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    txn = store.txns.get(ids[1])
    if txn is None or txn.lease_id != ids[0]:
        raise NotFoundError("Transaction")
    return 200, messages.lease_transaction(store, txn), None


def outstanding_balances(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    lease_ids = query.ints("leaseids")
    statuses = query.strings("leasestatuses")
    entity_type, entity_id = query.one("entitytype"), query.ints("entityid")
    owned: set[int] | None = None
    if entity_type == "RentalOwner" and entity_id:
        owned = set((store.get("owners", entity_id[0]) or {}).get("PropertyIds", []))
    elif entity_type == "Rental" and entity_id:
        owned = {entity_id[0]}
    rows = []
    for lid, lease in store.records["leases"].items():
        if not _in(lease_ids, lid) or (
            statuses is not None and lease["LeaseStatus"] not in statuses
        ):
            continue
        if owned is not None and lease["PropertyId"] not in owned:
            continue
        balance = store.balance(lid)
        # The spec: "Leases with a zero or credit balance will not be returned".
        if balance.total > 0:
            rows.append(messages.outstanding_balance(lease, balance))
    return _listed(query, rows)


def list_gl_accounts(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    types = query.strings("accounttypes")
    rows = [
        messages.gl_account(store, g)
        for g in store.records["glaccounts"].values()
        if types is None or g["Type"] in types
    ]
    return _listed(query, rows)


def list_gl_transactions(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    start: date | None = query.day("startdate", required=True)
    end: date | None = query.day("enddate", required=True)
    gl_ids = query.ints("glaccountids")
    if not gl_ids:
        raise QueryError(400, "glaccountids", "'glaccountids' is required.")
    assert start is not None
    assert end is not None
    keep = updated_between(query, store.updated["transactions"])
    wanted = set(gl_ids)
    rows = [
        messages.gl_transaction(store, t)
        for tid, t in store.txns.items()
        if start <= t.date <= end and keep(tid) and any(g in wanted for g, _ in t.lines)
    ]
    return _listed(query, rows)


def get_gl_transaction(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
    txn = store.txns.get(ids[0])
    if txn is None:
        raise NotFoundError("Transaction")
    return 200, messages.gl_transaction(store, txn), None


def _getter(
    resource: str, what: str, render: Callable[[BuildiumStore, dict[str, Any]], dict[str, Any]]
) -> Callable[[BuildiumStore, Query, list[int]], Answer]:
    def get(store: BuildiumStore, query: Query, ids: list[int]) -> Answer:
        return 200, render(store, _record(store, resource, ids[0], what)), None

    return get


READS: dict[str, Callable[[BuildiumStore, Query, list[int]], Answer]] = {
    "GET /v1/rentals": list_rentals,
    "GET /v1/rentals/{propertyId}": _getter("rentals", "Rental", messages.rental),
    "GET /v1/rentals/units": list_units,
    "GET /v1/rentals/units/{unitId}": _getter("units", "Unit", messages.unit),
    "GET /v1/rentals/owners": list_owners,
    "GET /v1/rentals/owners/{rentalOwnerId}": _getter("owners", "Rental owner", messages.owner),
    "GET /v1/leases/tenants": list_tenants,
    "GET /v1/leases/tenants/{tenantId}": _getter("tenants", "Tenant", messages.tenant),
    "GET /v1/leases": list_leases,
    "GET /v1/leases/{leaseId}": _getter("leases", "Lease", messages.lease),
    "GET /v1/leases/{leaseId}/transactions": list_lease_transactions,
    "GET /v1/leases/{leaseId}/transactions/{transactionId}": get_lease_transaction,
    "GET /v1/leases/outstandingbalances": outstanding_balances,
    "GET /v1/glaccounts": list_gl_accounts,
    "GET /v1/glaccounts/{glAccountId}": _getter("glaccounts", "GL account", messages.gl_account),
    "GET /v1/generalledger/transactions": list_gl_transactions,
    "GET /v1/generalledger/transactions/{transactionId}": get_gl_transaction,
}
# PUT operation -> (store resource, what it is called, how the answer is rendered)
PUT_TARGETS: dict[
    str, tuple[str, str, Callable[[BuildiumStore, dict[str, Any]], dict[str, Any]]]
] = {
    "PUT /v1/rentals/{propertyId}": ("rentals", "Rental", messages.rental),
    "PUT /v1/rentals/units/{unitId}": ("units", "Unit", messages.unit),
    "PUT /v1/rentals/owners/{rentalOwnerId}": ("owners", "Rental owner", messages.owner),
    "PUT /v1/leases/tenants/{tenantId}": ("tenants", "Tenant", messages.tenant),
    "PUT /v1/leases/{leaseId}": ("leases", "Lease", messages.lease),
}
