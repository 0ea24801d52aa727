"""read_in_one_round_trip: its statements run read-only and bounded by the caller's time.

On PostgreSQL they go through a psycopg pipeline on the read pool's connections rather than
SQLAlchemy, so the settings are checked from inside it (``current_setting`` read by the same
pipeline), and from the next read on the same connection.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, String, literal_column, select
from sqlalchemy import exc as sa_exc

from wonder.db.engine import make_async_engine
from wonder.db.read_only import read_in_one_round_trip
from wonder.db.read_pool import ReadPool

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    """PostgreSQL only: SQLite has no settings to read (its path is plain SQLAlchemy)."""
    return pg_engine


# Literal SQL: a fixed statement's only parameters are those the caller passes.
SETTINGS = select(
    literal_column("current_setting('statement_timeout')", String),
    literal_column("current_setting('transaction_read_only')", String),
)


@pytest.mark.parametrize(("seconds", "expected"), [(1.5, "1500ms"), (None, "0")])
async def test_the_pipeline_is_read_only_and_bounded_by_the_deadline(
    database_url: str, engine: Engine, seconds: float | None, expected: str
) -> None:
    async_engine = make_async_engine(database_url)
    pool = ReadPool(database_url, max_size=1)  # one connection: every read reuses it
    try:
        results = await read_in_one_round_trip(
            async_engine, seconds, [(SETTINGS, {})] * 2, pool=pool
        )
        for rows in results:  # every statement of the pipeline, not just the first
            statement_timeout, read_only = rows[0]
            assert statement_timeout == expected
            assert read_only == "on"
        # The next read without a deadline is not bounded by this one's.
        after = await read_in_one_round_trip(async_engine, None, [(SETTINGS, {})], pool=pool)
        assert after[0][0] == ("0", "on")
    finally:
        await pool.aclose()
        await async_engine.dispose()


async def test_postgres_reads_need_the_read_pool(database_url: str, engine: Engine) -> None:
    async_engine = make_async_engine(database_url)
    try:
        with pytest.raises(ValueError, match="ReadPool"):
            await read_in_one_round_trip(async_engine, 1.0, [(SETTINGS, {})])
    finally:
        await async_engine.dispose()


async def test_no_free_connection_within_the_deadline_is_a_pool_timeout(
    database_url: str, engine: Engine
) -> None:
    """The wait for a connection is bounded by the caller's time, and is the error the server
    answers UNAVAILABLE (SQLAlchemy's pool timeout), never a hang or an unknown error."""
    async_engine = make_async_engine(database_url)
    pool = ReadPool(database_url, max_size=1)
    try:
        async with pool.connection(5.0):  # the only connection, held
            async with asyncio.timeout(3.0):
                with pytest.raises(sa_exc.TimeoutError, match="no database connection free"):
                    await read_in_one_round_trip(async_engine, 0.3, [(SETTINGS, {})], pool=pool)
        # Released: the next read gets it.
        (rows,) = await read_in_one_round_trip(async_engine, 1.0, [(SETTINGS, {})], pool=pool)
        assert rows[0][0] == "1s"
    finally:
        await pool.aclose()
        await async_engine.dispose()
