"""The cost model of a query (``QueryCostSettings``): a query past the cost limit is answered
504, as Trestle answers a query that ran too long (API-FACTS: "504 slow query").

The cost depends on the query's shape only, never on the data, so the same query times out
on 60 listings and on 100,000: what a test learns about a client's queries holds in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from wonder.sandbox.trestle.config import QueryCostSettings
from wonder.sandbox.trestle.odata import (
    KEY_INDEX_FIELDS,
    BoolOp,
    Call,
    Compare,
    FieldRef,
    InList,
    Node,
    Not,
    ODataError,
    Query,
    keys_only,
)
from wonder.sandbox.trestle.replies import ERROR_MESSAGES

# Key-index fields, and the keys of the resources served per listing: looked up, not scanned.
INDEXED_FIELDS = KEY_INDEX_FIELDS | {"ResourceRecordKey", "MediaKey", "OpenHouseKey"}


@dataclass(frozen=True)
class Terms:
    indexed: int = 0
    scanned: int = 0

    def __add__(self, other: Terms) -> Terms:
        return Terms(self.indexed + other.indexed, self.scanned + other.scanned)


def filter_terms(node: Node | None, key: str) -> Terms:
    """The comparisons of a ``$filter``: on indexed fields (or ``key``), and the rest."""
    if node is None:
        return Terms()
    if isinstance(node, BoolOp):
        return filter_terms(node.left, key) + filter_terms(node.right, key)
    if isinstance(node, Not):
        return filter_terms(node.operand, key)
    if isinstance(node, Compare):
        names = {side.name for side in (node.left, node.right) if isinstance(side, FieldRef)}
        return _terms(names, key, 1)
    if isinstance(node, InList):
        names = {node.subject.name} if isinstance(node.subject, FieldRef) else set()
        return _terms(names, key, len(node.items))
    if isinstance(node, Call):
        return Terms(scanned=1)  # a string function reads every candidate row
    return Terms()


def _terms(names: set[str], key: str, count: int) -> Terms:
    if names and all(name in INDEXED_FIELDS or name == key for name in names):
        return Terms(indexed=count)
    return Terms(scanned=count)


def query_cost(query: Query, settings: QueryCostSettings) -> float:
    keys = query.entity.name == "Property" and keys_only(query)
    row = settings.key_row if keys else settings.full_row
    row += sum(settings.expand.get(item.name, settings.full_row) for item in query.expand)
    terms = filter_terms(query.filter, query.entity.key)
    factor = 1 + terms.indexed * settings.indexed_term + terms.scanned * settings.scan_term
    return query.top * row * factor


def check_cost(query: Query, settings: QueryCostSettings) -> None:
    """Raise the 504 Trestle answers when the query costs more than the limit."""
    limit = settings.timeout_cost
    if limit is not None and query_cost(query, settings) > limit:
        raise ODataError(ERROR_MESSAGES[504], 504)
