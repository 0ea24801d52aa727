"""ListListings page queries are kept per canonical filter and order, never shared wrongly.

The oracle is the query built without the cache (the filter compiled, ordered, deleted rows
hidden), compared as PostgreSQL SQL with its values rendered in.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from wonder.aip.filtering import parse_filter
from wonder.aip.ordering import parse_order_by
from wonder.db.keyset import order_clauses
from wonder.db.models import Listing
from wonder.listings import read_repository
from wonder.listings.catalogue import LISTINGS
from wonder.listings.read_repository import (
    compile_filter,
    listing_page_query,
    listing_sort_columns,
)
from wonder.lru import LruCache

_DIALECT = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]


def _sql(query: Select[Any]) -> str:
    return str(query.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))


def _uncached(filter_text: str, order_text: str, *, show_deleted: bool, full: bool) -> str:
    expr = parse_filter(filter_text, LISTINGS)
    order = parse_order_by(order_text, LISTINGS)
    columns = listing_sort_columns(order)
    sort_values = [c.column.label(f"sort_{i}") for i, c in enumerate(columns)]
    base = read_repository._listings(full).add_columns(*sort_values).where(compile_filter(expr))
    query = base.order_by(*order_clauses(columns))
    return _sql(query if show_deleted else query.where(Listing.deleted_at.is_(None)))


CASES = [
    ('city = "Austin"', "list_price", False, False),
    ('city = "Boston"', "list_price", False, False),  # another value, the same shape
    ('city = "Austin"', "list_price desc", False, False),
    ('city = "Austin"', "list_price", True, False),
    ('city = "Austin"', "list_price", False, True),
    ("list_price <= 900000", "list_price", False, False),
    ("list_price <= 900001", "list_price", False, False),
    ("", "listing_key", False, False),
]


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_repository, "_PAGE_QUERIES", LruCache(256))


def test_every_request_gets_its_own_filter_order_and_view() -> None:
    for _ in range(2):  # the second round is served from the cache
        for filter_text, order_text, show_deleted, full in CASES:
            expr = parse_filter(filter_text, LISTINGS)
            order = parse_order_by(order_text, LISTINGS)
            got = listing_page_query(expr, order, show_deleted=show_deleted, full=full)
            assert _sql(got) == _uncached(
                filter_text, order_text, show_deleted=show_deleted, full=full
            )
    assert len(read_repository._PAGE_QUERIES) == len(CASES)


def test_the_same_filter_spelled_otherwise_shares_the_query() -> None:
    order = parse_order_by("list_price", LISTINGS)
    first = listing_page_query(
        parse_filter('city = "Austin"', LISTINGS), order, show_deleted=False, full=False
    )
    again = listing_page_query(
        parse_filter('  city="Austin" ', LISTINGS), order, show_deleted=False, full=False
    )
    assert again is first
