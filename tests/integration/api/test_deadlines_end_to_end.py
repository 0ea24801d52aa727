"""The caller's deadline reaches PostgreSQL, and a cancelled call cancels its query.

A table lock held by the test makes every read of ``listings`` wait, so the server's query is
slow on purpose; what must end it is the server (statement_timeout from the remaining deadline,
or the cancellation of the RPC's task), never the lock going away.

Known gap: when the deadline passes, gRPC also cancels the handler's task, which cancels the
query; so the first test still passes with statement_timeout planted away. That the timeout is
set from the deadline is checked in test_listing_service.py (``SHOW statement_timeout``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import grpc.aio
import pytest
from sqlalchemy import Connection, Engine, text

from tests.integration.api.conftest import MakeApi, make_listing, seed
from wonder.v1 import listing_service_pb2 as pb

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    return pg_engine


@pytest.fixture
def locked(pg_engine: Engine) -> Iterator[Connection]:
    """An open transaction holding ACCESS EXCLUSIVE on listings until the test ends."""
    with pg_engine.connect() as connection:
        connection.execute(text("BEGIN"))
        connection.execute(text("LOCK TABLE listings IN ACCESS EXCLUSIVE MODE"))
        yield connection
        connection.execute(text("ROLLBACK"))


def waiting_queries(engine: Engine) -> int:
    """Backends of the server still waiting on the test's lock."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND state = 'active'"
                )
            ).scalar_one()
        )


async def eventually_none_waiting(engine: Engine, seconds: float = 2.0) -> int:
    waiting = waiting_queries(engine)
    for _ in range(int(seconds / 0.05)):
        if waiting == 0:
            break
        await asyncio.sleep(0.05)
        waiting = waiting_queries(engine)
    return waiting


async def test_a_slow_query_ends_at_the_deadline_and_leaves_no_backend(
    make_api: MakeApi, pg_engine: Engine, request: pytest.FixtureRequest
) -> None:
    api = await make_api(health_check_interval_seconds=3600)
    seed(api.sessions, make_listing("L1"))
    await api.stub.GetListing(  # warm: the token is verified and cached before the lock
        pb.GetListingRequest(name="listings/L1"), metadata=api.metadata, timeout=10
    )
    request.getfixturevalue("locked")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.GetListing(
            pb.GetListingRequest(name="listings/L1"), metadata=api.metadata, timeout=0.2
        )
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The lock is still held: only the server's own timeout or cancel can have ended it.
    assert await eventually_none_waiting(pg_engine) == 0


async def test_a_client_that_cancels_mid_call_cancels_the_query(
    make_api: MakeApi, pg_engine: Engine, request: pytest.FixtureRequest
) -> None:
    api = await make_api(health_check_interval_seconds=3600)
    seed(api.sessions, make_listing("L1"))
    await api.stub.GetListing(
        pb.GetListingRequest(name="listings/L1"), metadata=api.metadata, timeout=10
    )
    request.getfixturevalue("locked")
    # No deadline at all: no statement_timeout is set, so only the cancellation can stop it.
    call = api.stub.ListListings(pb.ListListingsRequest(), metadata=api.metadata)
    for _ in range(100):
        if waiting_queries(pg_engine) > 0:
            break
        await asyncio.sleep(0.02)
    assert waiting_queries(pg_engine) == 1, "the server's query never reached the lock"
    call.cancel()
    assert await eventually_none_waiting(pg_engine) == 0


async def test_a_backend_terminated_mid_query_is_unavailable_and_the_next_call_recovers(
    make_api: MakeApi, pg_engine: Engine, request: pytest.FixtureRequest
) -> None:
    # The database goes away under a running query (an administrator's pg_terminate_backend, a
    # failover): the caller is told to retry (UNAVAILABLE), never INTERNAL, and the server heals.
    api = await make_api(health_check_interval_seconds=3600)
    seed(api.sessions, make_listing("L1"))
    get = pb.GetListingRequest(name="listings/L1")
    await api.stub.GetListing(get, metadata=api.metadata, timeout=10)
    locked: Connection = request.getfixturevalue("locked")
    call = api.stub.GetListing(get, metadata=api.metadata, timeout=30)
    for _ in range(100):
        if waiting_queries(pg_engine) > 0:
            break
        await asyncio.sleep(0.02)
    assert waiting_queries(pg_engine) == 1, "the server's query never reached the lock"
    with pg_engine.connect() as admin:
        terminated = admin.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                " AND state = 'active'"
            )
        ).scalar_one()
    assert terminated == 1
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    locked.execute(text("ROLLBACK"))
    locked.execute(text("BEGIN"))  # the fixture's own ROLLBACK still has a transaction to end

    listing = await api.stub.GetListing(get, metadata=api.metadata, timeout=10)
    assert listing.listing_key == "L1"
