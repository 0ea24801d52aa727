"""What careless stream clients cost the server (issue: API hardening).

- Server RSS with 50 streams whose readers never read, against the same server idle, in one run.
- Health and GetListing while 200 clients try to replay the change-feed backlog at once (the
  stream caps admit 64), against the same calls on the idle server.

The server (``bench.grpc_serve``) is its own process; RSS is read with psutil.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import grpc.aio
import psutil
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.grpc_bench import health_serving, issue_token
from bench.support import ScratchDatabase, child_env, progress, service
from bench.table import Row, fmt_ms
from devstack.processes import free_port, wait_until
from wonder.v1 import listing_pb2, listing_service_pb2_grpc
from wonder.v1 import listing_service_pb2 as pb

SLOW_READERS = 50
BACKLOG_CLIENTS = 200
TOKENS = 25  # streams are capped per token: spread the clients over many consumers
SERVING = health_pb2.HealthCheckResponse.SERVING


@contextmanager
def server(database: ScratchDatabase) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    env = child_env(
        WONDER_DATABASE_URL=database.url,
        WONDER_GRPC__HOST="127.0.0.1",
        WONDER_GRPC__PORT=str(port),
        WONDER_LOG_LEVEL="WARNING",
    )
    target = f"127.0.0.1:{port}"
    with service("gRPC server", [sys.executable, "-m", "bench.grpc_serve"], env) as server:
        wait_until(
            f"the gRPC server on {target}",
            lambda: server.listens_on(port) and health_serving(target),
            timeout=60,
            process=server,
            progress=progress,
        )
        yield target, psutil.Process(server.pid)


def fill_change_feed(database: ScratchDatabase) -> int:
    with psycopg.connect(database.libpq_url) as connection:
        # Once per database: the gRPC benchmarks may have filled it already.
        connection.execute(
            "INSERT INTO listing_changes (listing_key, kind, changed_at)"
            " SELECT listing_key, 'upsert', now() FROM listings"
            " WHERE NOT EXISTS (SELECT 1 FROM listing_changes) ORDER BY listing_key"
        )
        connection.commit()
        row = connection.execute("SELECT count(*) FROM listing_changes").fetchone()
    return int(row[0]) if row else 0


def rss_mib(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


async def open_streams(
    target: str, tokens: list[str], count: int, *, read: bool
) -> tuple[list[grpc.aio.Channel], list[asyncio.Task[None]]]:
    channels, tasks = [], []
    for i in range(count):
        channel = grpc.aio.insecure_channel(target)
        stub = listing_service_pb2_grpc.ListingServiceStub(channel)
        metadata = (("authorization", f"Bearer {tokens[i % len(tokens)]}"),)
        call = stub.StreamListingChanges(
            pb.StreamListingChangesRequest(start_cursor=0, view=listing_pb2.LISTING_VIEW_FULL),
            metadata=metadata,
        )

        async def consume(call: object = call) -> None:
            try:
                if read:
                    async for _ in call:  # type: ignore[attr-defined]
                        pass
                else:
                    await call.initial_metadata()  # type: ignore[attr-defined]
                    await asyncio.sleep(3600)
            except (grpc.aio.AioRpcError, asyncio.CancelledError):
                pass

        channels.append(channel)
        tasks.append(asyncio.create_task(consume()))
    return channels, tasks


async def close(channels: list[grpc.aio.Channel], tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for channel in channels:
        await channel.close()


async def probe(target: str, token: str, key: str, seconds: float) -> tuple[int, int, list[float]]:
    """(health checks, checks not SERVING or timed out, GetListing latencies in s)."""
    checks = failed = 0
    latencies: list[float] = []
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        stub = listing_service_pb2_grpc.ListingServiceStub(channel)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            checks += 1
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                failed += reply.status != SERVING
            except grpc.aio.AioRpcError:
                failed += 1
            started = time.perf_counter()
            await stub.GetListing(pb.GetListingRequest(name=f"listings/{key}"), metadata=metadata)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.2)
    return checks, failed, latencies


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def measure(target: str, process: psutil.Process, tokens: list[str], key: str) -> list[Row]:
    idle_rss = rss_mib(process)
    checks0, failed0, idle_lat = await probe(target, tokens[0], key, 5)

    progress(f"{SLOW_READERS} streams that never read, 20 s")
    channels, tasks = await open_streams(target, tokens, SLOW_READERS, read=False)
    peak = idle_rss
    for _ in range(40):
        await asyncio.sleep(0.5)
        peak = max(peak, rss_mib(process))
    await close(channels, tasks)

    progress(f"{BACKLOG_CLIENTS} clients replaying the backlog, health and GetListing probed")
    channels, tasks = await open_streams(target, tokens, BACKLOG_CLIENTS, read=True)
    checks, failed, busy_lat = await probe(target, tokens[0], key, 15)
    await close(channels, tasks)
    return [
        Row(
            f"server RSS, {SLOW_READERS} streams that never read (peak over 20 s)",
            f"{peak:.0f} MiB",
            f"idle {idle_rss:.0f} MiB",
            f"+{peak - idle_rss:.0f} MiB",
            "bounded (was +338 MiB)",
            None,
        ),
        Row(
            f"health checks not SERVING, {BACKLOG_CLIENTS} backlog streams",
            f"{failed} of {checks}",
            f"idle: {failed0} of {checks0}",
            "—",
            "0",
            failed == 0,
        ),
        Row(
            f"GetListing p50 / p99 during {BACKLOG_CLIENTS} backlog streams",
            f"{fmt_ms(p(busy_lat, 50))} / {fmt_ms(p(busy_lat, 99))}",
            f"idle {fmt_ms(p(idle_lat, 50))} / {fmt_ms(p(idle_lat, 99))}",
            f"{p(busy_lat, 50) / p(idle_lat, 50):.1f}x",
            "—",
            None,
        ),
    ]


def run(database: ScratchDatabase) -> list[Row]:
    changes = fill_change_feed(database)
    progress(f"change feed of {changes:,} rows; starting the server")
    tokens = [issue_token(database) for _ in range(TOKENS)]
    with psycopg.connect(database.libpq_url) as connection:
        row = connection.execute("SELECT min(listing_key) FROM listings").fetchone()
    key = str(row[0]) if row else ""
    with server(database) as (target, process):
        return asyncio.run(measure(target, process, tokens, key))


def standalone(listings: int) -> list[Row]:
    from bench.seed import generate_listings
    from bench.support import scratch_database

    with scratch_database() as database:
        progress(f"generating {listings:,} listings in PostgreSQL")
        generate_listings(database, listings)
        return run(database)
