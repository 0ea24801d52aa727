"""The server's pool does not pre-ping: a connection the database dropped costs one UNAVAILABLE.

PostgreSQL only: there the server keeps connections in a pool, and the database can drop them
(restart, failover, an administrator's pg_terminate_backend) while they sit idle.
"""

from __future__ import annotations

import asyncio

import grpc
import grpc.aio
import pytest
from sqlalchemy import Engine, text

from tests.integration.api.conftest import MakeApi, make_listing, seed
from wonder.db.read_pool import ReadPool
from wonder.v1 import listing_service_pb2 as pb

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(pg_engine: Engine) -> Engine:
    return pg_engine


def terminate_other_connections(engine: Engine) -> int:
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    return int(killed)


async def settled(pool: ReadPool) -> dict[str, int]:
    """The pool's statistics once the connections a burst asked for have finished opening
    (every open one idle again)."""
    for _ in range(500):
        stats = pool.stats()
        if stats["pool_available"] == stats["pool_size"]:
            break
        await asyncio.sleep(0.01)
    return stats


async def test_a_dropped_pool_costs_one_unavailable_call_then_recovers(
    make_api: MakeApi, pg_engine: Engine
) -> None:
    # No background probe during the test: the call itself must meet the dead connections.
    api = await make_api(health_check_interval_seconds=3600)
    seed(api.sessions, make_listing("L1"))
    request = pb.GetListingRequest(name="listings/L1")
    # Concurrent calls leave several connections in the pool, all about to be dropped.
    calls = (api.stub.GetListing(request, metadata=api.metadata, timeout=10) for _ in range(6))
    assert all(listing.name for listing in await asyncio.gather(*calls))
    assert api.deps.read_pool is not None
    assert (await settled(api.deps.read_pool))["pool_available"] > 1

    assert terminate_other_connections(pg_engine) >= 1
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.stub.GetListing(request, metadata=api.metadata, timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE

    # The disconnect invalidated the whole pool: the retries connect afresh and succeed.
    for _ in range(3):
        listing = await api.stub.GetListing(request, metadata=api.metadata, timeout=10)
        assert listing.listing_key == "L1"


async def test_the_read_pool_is_in_the_metrics(make_api: MakeApi, pg_engine: Engine) -> None:
    """Open and idle connections, and the dead ones replaced, as the pool itself counts them."""
    api = await make_api(health_check_interval_seconds=3600)
    seed(api.sessions, make_listing("L1"))
    request = pb.GetListingRequest(name="listings/L1")
    registry = api.server.metrics.registry

    def connections(state: str) -> float | None:
        return registry.get_sample_value("wonder_db_read_pool_connections", {"state": state})

    calls = (api.stub.GetListing(request, metadata=api.metadata, timeout=10) for _ in range(4))
    await asyncio.gather(*calls)
    pool = api.deps.read_pool
    assert pool is not None
    await settled(pool)
    async with pool.connection(5.0):  # one taken: open and idle differ
        stats = pool.stats()
        assert connections("open") == stats["pool_size"] >= 1
        assert connections("idle") == stats["pool_available"] == stats["pool_size"] - 1
    assert connections("max") == api.deps.settings.grpc.database_pool_size
    assert registry.get_sample_value("wonder_db_read_pool_connections_lost_total") == 0

    terminate_other_connections(pg_engine)
    with pytest.raises(grpc.aio.AioRpcError):
        await api.stub.GetListing(request, metadata=api.metadata, timeout=10)
    lost = registry.get_sample_value("wonder_db_read_pool_connections_lost_total")
    assert lost is not None
    assert lost >= 1
