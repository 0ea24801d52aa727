"""Dynamic statements of one shape share a compilation, never each other's values.

The oracle is SQLAlchemy compiling each statement on its own (``render_postcompile``: the text
and values it would execute); the cached path must give the same text and values for every
statement, whatever was compiled before it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from wonder.db import read_only
from wonder.db.models import Listing
from wonder.db.read_only import _postgres_dynamic
from wonder.lru import LruCache

_DIALECT = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]


def _alone(statement: Select[Any]) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return str(compiled), dict(compiled.construct_params())


def _page(cities: list[str], price: Decimal, after_key: str, limit: int) -> Select[Any]:
    return (
        select(Listing.listing_key)
        .where(Listing.city.in_(cities), Listing.list_price <= price)
        .where(Listing.listing_key > after_key)
        .order_by(Listing.listing_key)
        .limit(limit)
    )


def test_same_shape_other_values_are_this_statements_own() -> None:
    read_only._compiled_dynamic.clear()
    statements = [
        _page(["Austin"], Decimal("900000"), "k1", 51),
        _page(["Boston", "Denver"], Decimal("250000.50"), "k9", 11),
        _page(["Austin", "Boston", "Chicago"], Decimal("1"), "", 2),
        _page(["Austin"], Decimal("900000"), "k1", 51),
    ]
    for statement in statements:
        assert _postgres_dynamic(statement) == _alone(statement)
    # One compilation served all four: the IN list's length is not part of the shape.
    assert len(read_only._compiled_dynamic) == 1


def test_another_shape_is_compiled_apart() -> None:
    read_only._compiled_dynamic.clear()
    first = _page(["Austin"], Decimal("1"), "k", 5)
    other = select(Listing.listing_key).where(Listing.city == "Austin").limit(5)
    assert _postgres_dynamic(first) == _alone(first)
    assert _postgres_dynamic(other) == _alone(other)
    assert len(read_only._compiled_dynamic) == 2


def test_the_cache_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(read_only, "_compiled_dynamic", LruCache(3))
    for limit_column in range(6):
        statement = select(Listing.listing_key).where(Listing.bedrooms_total == limit_column)
        statement = statement.order_by(*[Listing.listing_key] * (limit_column + 1))
        assert _postgres_dynamic(statement) == _alone(statement)
    assert len(read_only._compiled_dynamic) == 3
