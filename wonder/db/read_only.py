"""The API's read path: one connection whose statements cannot outlive the caller's deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


@asynccontextmanager
async def read_only_transaction(
    session: AsyncSession, timeout_seconds: float | None
) -> AsyncIterator[AsyncConnection]:
    """The session's connection, its statements bounded by the caller's remaining time.

    On PostgreSQL the connection runs in autocommit mode, so the driver sends no BEGIN and no
    ROLLBACK of its own. Without a deadline every statement is its own transaction (READ
    COMMITTED gives each statement its own snapshot anyway). With one, a single round trip opens
    a read-only transaction and bounds its statements (``SET LOCAL statement_timeout``, gone
    with the transaction), and a COMMIT ends it: psycopg drops its prepared statements on every
    ROLLBACK, on COMMIT it keeps them. On failure the session's rollback ends the transaction.
    SQLite has no server to cancel on: a plain transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield await session.connection()
        return
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if timeout_seconds is None:
        yield connection
        return
    # An int, so formatting it into the statement is safe (SET takes no bound parameters).
    milliseconds = max(1, int(timeout_seconds * 1000))
    await connection.exec_driver_sql(
        f"BEGIN READ ONLY; SET LOCAL statement_timeout = {milliseconds}"
    )
    yield connection
    await connection.exec_driver_sql("COMMIT")
