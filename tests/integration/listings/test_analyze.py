"""A first load and a census leave planner statistics behind on PostgreSQL (the ingest reads
the Trestle sandbox in process, through an httpx.MockTransport)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.trestle_fixtures import mock_trestle
from wonder.db.engine import session_factory
from wonder.listings import repository as repo
from wonder.listings import service
from wonder.settings import ListingIngestSettings

SETTINGS = ListingIngestSettings(mass_delete_min_rows=100)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def estimated_rows(session: Session, table: str) -> float:
    # -1 until the table is first vacuumed or analyzed.
    value = session.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"), {"t": table}
    ).scalar_one()
    return float(value)


def deleted_null_fraction(session: Session) -> float:
    value = session.execute(
        text(
            "SELECT null_frac FROM pg_stats WHERE tablename = 'listings' AND attname = 'deleted_at'"
        )
    ).scalar_one()
    return float(value)


def test_first_load_and_census_analyze(pg_engine: Engine) -> None:
    sessions: sessionmaker[Session] = session_factory(pg_engine)
    trestle, clock = mock_trestle(listings=20, seed=31), Clock()
    listings = len(trestle.sandbox.truth())
    media = sum(len(items) for items in trestle.sandbox.media_truth().values())
    assert media > 0
    with sessions() as session:
        assert estimated_rows(session, "listings") == -1

    with trestle.client(page_size=10) as client:
        service.first_load(client, sessions, SETTINGS, clock=clock)
        with sessions() as session:
            assert estimated_rows(session, "listings") == listings
            assert estimated_rows(session, "listing_media") == media
            assert deleted_null_fraction(session) == 1.0

        vanished = trestle.sandbox.advance(seconds=60, vanished_listings=5).vanished
        assert service.census(client, sessions, SETTINGS, clock=clock).deleted == len(vanished)
    with sessions() as session:
        assert deleted_null_fraction(session) == (listings - len(vanished)) / listings


def test_analyze_is_a_no_op_on_sqlite(sqlite_engine: Engine) -> None:
    with session_factory(sqlite_engine).begin() as session:
        repo.analyze_listing_tables(session)
    # SQLite's ANALYZE would create sqlite_stat1: the call must not have run one.
    with sqlite_engine.connect() as conn:
        stats = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).scalar()
    assert stats == 0
