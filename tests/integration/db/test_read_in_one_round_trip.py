"""read_in_one_round_trip: its statements run read-only and bounded by the caller's time.

On PostgreSQL they go through a psycopg pipeline rather than SQLAlchemy, so the transaction's
settings are checked from inside it (``current_setting`` read by the same pipeline).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, String, literal_column, select

from wonder.db.engine import make_async_engine
from wonder.db.read_only import read_in_one_round_trip

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
    try:
        results = await read_in_one_round_trip(async_engine, seconds, [(SETTINGS, {})] * 2)
        for rows in results:  # every statement of the pipeline, not just the first
            statement_timeout, read_only = rows[0]
            assert statement_timeout == expected
            assert read_only == ("on" if seconds is not None else "off")
        # ... and the settings ended with the transaction: the connection is back as it was.
        after = await read_in_one_round_trip(async_engine, None, [(SETTINGS, {})])
        assert after[0][0][0] == "0"
    finally:
        await async_engine.dispose()
