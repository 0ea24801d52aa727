"""A first load and a census leave planner statistics behind on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.listings.fake_source import FakeSource, make_listing, make_media
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
    source, clock = FakeSource(page_size=10), Clock()
    for i in range(20):
        source.records("Property").append(make_listing(i, seconds=i))
        source.records("Media").extend(make_media(f"L{i:04d}", 2))
    with sessions() as session:
        assert estimated_rows(session, "listings") == -1

    service.first_load(source, sessions, SETTINGS, clock=clock)
    with sessions() as session:
        assert estimated_rows(session, "listings") == 20
        assert estimated_rows(session, "listing_media") == 40
        assert deleted_null_fraction(session) == 1.0

    del source.records("Property")[:5]
    assert service.census(source, sessions, SETTINGS, clock=clock).deleted == 5
    with sessions() as session:
        assert deleted_null_fraction(session) == 0.75


def test_analyze_is_a_no_op_on_sqlite(sqlite_engine: Engine) -> None:
    with session_factory(sqlite_engine).begin() as session:
        repo.analyze_listing_tables(session)
    # SQLite's ANALYZE would create sqlite_stat1: the call must not have run one.
    with sqlite_engine.connect() as conn:
        stats = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).scalar()
    assert stats == 0
