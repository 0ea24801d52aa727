"""Raw psycopg connections for the API's one-round-trip reads (PostgreSQL only).

A read through SQLAlchemy's asyncio engine pays its pool and greenlet machinery around the
driver: checking a connection out, setting autocommit, reaching the driver connection and
returning it cost about 100 µs a call on this machine (``bench`` profile), about as much as the
read itself. psycopg's own pool hands out a connection in about 8 µs, so the hot reads
(``wonder.db.read_only.read_in_one_round_trip``) take their connections here; everything else
(ORM sessions, writes) keeps the engine's pool.

A connection the database dropped fails one call with a disconnect error (answered UNAVAILABLE,
as on the engine's pool); the pool then checks its idle connections and drops the dead ones, so
the next calls connect afresh instead of each meeting one of them.
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


def libpq_conninfo(url: str) -> str:
    """``postgresql+psycopg://…`` (an engine URL) → the URL libpq and psycopg take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _read_only(connection: psycopg.AsyncConnection[Any]) -> None:
    """Every transaction of a pooled connection is read-only, whatever runs on it."""
    await connection.execute("SET default_transaction_read_only = on")


class ReadPool:
    def __init__(self, url: str, *, max_size: int) -> None:
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
            libpq_conninfo(url),
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            configure=_read_only,
            open=False,
            name="wonder-read",
        )
        self._opened = False
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def connection(
        self, timeout_seconds: float | None
    ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A read-only connection in autocommit mode, waited for at most the caller's time.

        No free connection in time: SQLAlchemy's pool-timeout error (answered UNAVAILABLE).
        """
        if not self._opened:
            async with self._opening:
                if not self._opened:
                    await self._pool.open(wait=False)
                    self._opened = True
        wait = DEFAULT_CHECKOUT_SECONDS
        if timeout_seconds is not None:
            wait = max(0.001, min(wait, timeout_seconds))
        try:
            async with self._pool.connection(timeout=wait) as connection:
                yield connection
        except PoolTimeout as error:
            raise sa_exc.TimeoutError(f"no database connection free within {wait:.3f} s") from error

    async def drop_dead_connections(self) -> None:
        """After a disconnect: check the idle connections, replacing those the server dropped."""
        await self._pool.check()

    def stats(self) -> dict[str, int]:
        return dict(self._pool.get_stats())

    async def aclose(self) -> None:
        if self._opened:
            await self._pool.close()
