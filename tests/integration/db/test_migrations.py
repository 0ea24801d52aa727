from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError

from wonder.db.base import Base
from wonder.db.migrate import downgrade, upgrade
from wonder.db.models import Listing
from wonder.db.uow import unit_of_work


def test_migrations_create_every_model_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_downgrade_to_base_and_back(database_url, engine):
    downgrade(database_url, "base")
    assert "listings" not in inspect(engine).get_table_names()
    upgrade(database_url)
    assert "listings" in inspect(engine).get_table_names()


def test_money_and_timestamps_round_trip_exactly(sessions):
    ts = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    with unit_of_work(sessions) as s:
        s.add(
            Listing(
                listing_key="L1",
                list_price=Decimal("1234567.89"),
                modification_timestamp=ts,
                raw={"ListingKey": "L1"},
                first_seen_at=ts,
                updated_at=ts,
            )
        )
    with unit_of_work(sessions) as s:
        row = s.scalars(select(Listing)).one()
        assert row.list_price == Decimal("1234567.89")
        assert row.modification_timestamp == ts
        assert row.modification_timestamp.tzinfo is not None
        assert row.raw == {"ListingKey": "L1"}


def test_naive_datetimes_are_rejected(sessions):
    listing = Listing(
        listing_key="L2",
        modification_timestamp=datetime(2026, 5, 1),
        raw={},
        first_seen_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    with sessions() as s:
        s.add(listing)
        with pytest.raises(StatementError, match="naive datetime"):
            s.flush()
