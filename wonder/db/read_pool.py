"""Raw psycopg connections for the API's one-round-trip reads (PostgreSQL only).

A read through SQLAlchemy's asyncio engine pays its pool and greenlet machinery around the
driver: checking a connection out, setting autocommit, reaching the driver connection and
returning it cost about 100 µs a call on this machine (``bench`` profile), about as much as the
read itself. psycopg's own pool hands out a connection in about 8 µs, so the hot reads
(``wonder.db.read_only.read_in_one_round_trip``) take their connections here; everything else
(ORM sessions, writes) keeps the engine's pool.

A connection the database dropped fails one call with a disconnect error (answered UNAVAILABLE,
as on the engine's pool); the pool then checks its idle connections and drops the dead ones, so
the next calls connect afresh instead of each meeting one of them. While the database cannot be
reached at all (no connection open, and the pool's attempts since its last success failed), a
read fails within ``UNREACHABLE_CHECKOUT_SECONDS`` instead of waiting out its deadline; its
checkout still asks the pool for a connection, so the first read after the database is back
gets one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

# Waiting longer than this for a free connection is an outage, whatever the caller's deadline.
DEFAULT_CHECKOUT_SECONDS = 30.0
# While the database is unreachable: long enough for a connection to a database that is back.
UNREACHABLE_CHECKOUT_SECONDS = 0.25


def libpq_conninfo(url: str) -> str:
    """``postgresql+psycopg://…`` (an engine URL) → the URL libpq and psycopg take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class ReadPool:
    def __init__(self, url: str, *, max_size: int, reconnect_timeout: float = 300.0) -> None:
        """``reconnect_timeout``: how long the pool retries in the background after losing its
        connections; later, only reads asking for a connection make it try again."""
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            libpq_conninfo(url),
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            configure=self._configure,
            reconnect_timeout=reconnect_timeout,
            open=False,
            name="wonder-read",
        )
        self._opened = False
        self._closed = False
        self._opening = asyncio.Lock()
        self._in_use = 0
        # The pool's count of failed connection attempts when one last succeeded.
        self._failures_at_success = 0

    async def _configure(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """A new connection: read-only whatever runs on it; the database is reachable."""
        await connection.execute("SET default_transaction_read_only = on")
        self._failures_at_success = self._pool.get_stats().get("connections_errors", 0)

    def unreachable(self) -> bool:
        """No connection is open (none idle, none in use) and every attempt since the last
        success failed: the database cannot be reached now."""
        stats = self._pool.get_stats()
        return (
            self._in_use == 0
            and stats.get("pool_available", 0) == 0
            and stats.get("connections_errors", 0) > self._failures_at_success
        )

    @asynccontextmanager
    async def connection(
        self, timeout_seconds: float | None
    ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A read-only connection in autocommit mode, waited for at most the caller's time.

        No free connection in time: SQLAlchemy's pool-timeout error (answered UNAVAILABLE).
        """
        if self._closed:
            raise sa_exc.TimeoutError("the read pool is closed: the server is stopping")
        if not self._opened:
            async with self._opening:
                if not self._opened:
                    await self._pool.open(wait=False)
                    self._opened = True
        wait = DEFAULT_CHECKOUT_SECONDS
        if timeout_seconds is not None:
            wait = max(0.001, min(wait, timeout_seconds))
        unreachable = self.unreachable()
        if unreachable:
            wait = min(wait, UNREACHABLE_CHECKOUT_SECONDS)
        try:
            async with self._pool.connection(timeout=wait) as connection:
                self._in_use += 1
                try:
                    yield connection
                finally:
                    self._in_use -= 1
        except PoolTimeout as error:
            if unreachable:
                message = "the database is unreachable: the read pool cannot open a connection"
            else:
                message = f"no database connection free within {wait:.3f} s"
            raise sa_exc.TimeoutError(message) from error

    async def drop_dead_connections(self) -> None:
        """After a disconnect: check the idle connections, replacing those the server dropped."""
        await self._pool.check()

    def stats(self) -> dict[str, int]:
        return dict(self._pool.get_stats())

    async def aclose(self) -> None:
        """Close the connections (server shutdown); later reads are refused. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._opened:
            await self._pool.close()
