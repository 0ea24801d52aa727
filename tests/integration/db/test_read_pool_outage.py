"""The read pool while the database cannot be reached: reads fail fast, then recover.

The database sits behind a TCP forwarder the test starts and stops, so "the database is down"
and "it is back" are real connection refusals and real connections, not mocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine, String, literal_column, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from wonder.db.engine import make_async_engine
from wonder.db.read_only import read_in_one_round_trip
from wonder.db.read_pool import ReadPool

pytestmark = pytest.mark.postgres

ONE = select(literal_column("'one'", String))


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    return pg_engine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def forwarding(port: int, host: str, target: int) -> AsyncIterator[None]:
    """While open, 127.0.0.1:``port`` leads to the database; before and after, it refuses."""
    writers: list[asyncio.StreamWriter] = []

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, target)
        writers.extend((writer, up_writer))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        for writer in writers:  # every relayed connection, closed before the loop ends
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await server.wait_closed()


async def test_reads_fail_fast_while_unreachable_then_recover(
    database_url: str, engine: Engine
) -> None:
    real = make_url(database_url)
    port = _free_port()
    behind = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    async_engine = make_async_engine(behind)
    # Background retries give up at once: only the reads' own checkouts can reconnect.
    pool = ReadPool(behind, max_size=2, reconnect_timeout=0.1)
    try:
        with pytest.raises(sa_exc.TimeoutError):  # the first: the pool learns it is down
            await read_in_one_round_trip(async_engine, 1.0, [(ONE, {})], pool=pool)
        assert pool.unreachable()
        for _ in range(3):
            started = time.monotonic()
            with pytest.raises(sa_exc.TimeoutError, match="unreachable"):
                await read_in_one_round_trip(async_engine, 10.0, [(ONE, {})], pool=pool)
            assert time.monotonic() - started < 5.0  # not the 10 s deadline
        async with forwarding(port, real.host or "127.0.0.1", real.port or 5432):
            rows = None
            for _ in range(40):  # the pool's next attempt reaches the database
                try:
                    (rows,) = await read_in_one_round_trip(
                        async_engine, 10.0, [(ONE, {})], pool=pool
                    )
                    break
                except sa_exc.TimeoutError:
                    await asyncio.sleep(0.25)
            assert rows is not None
            assert rows[0][0] == "one"
            assert not pool.unreachable()
            await pool.aclose()
            with pytest.raises(sa_exc.TimeoutError, match="closed"):  # shutting down
                await read_in_one_round_trip(async_engine, 1.0, [(ONE, {})], pool=pool)
    finally:
        await pool.aclose()
        await async_engine.dispose()
