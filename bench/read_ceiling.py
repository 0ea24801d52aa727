"""The bare ceiling of a GetListing that reads the database: ``python -m bench.read_ceiling``.

A bare grpc.aio server in its own process (no interceptors: no auth, deadline, metrics, error
mapping or request guard) answers ``bench.v1.Reference/Empty`` and
``wonder.v1.ListingService/GetListing``, the latter with exactly the real read and mapping: the
read pool's one pipelined round trip (statement timeout, then the listing statement, and the
media statement for FULL) and ``listing_to_proto``. The load generator of ``--only grpc``
measures both in alternating rounds. Their ratio is what a design reading the database once per
call reaches on this machine with nothing else in the way; the real server's GetListing / empty
ratio can only approach it, so ``python -m bench --only grpc`` measures this server too, over the
same database and in the same rounds, as the GetListing rows' ceiling.

``--listings N`` (default 20,000) generated listings in a scratch PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from google.protobuf import empty_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bench.grpc_bench import (
    FULL_SCALE,
    closed,
    grpc_serving,
    interleaved,
    write_keys,
)
from bench.reference_service import METHOD, SERVICE
from bench.support import ScratchDatabase, child_env, progress, started
from bench.table import fmt_rate, fmt_ratio
from devstack.processes import free_port
from wonder.db.engine import make_async_engine
from wonder.db.read_only import read_in_one_round_trip
from wonder.db.read_pool import ReadPool
from wonder.listings.messages import fill_listing
from wonder.listings.read_repository import listings_with_media, parse_listings_with_media
from wonder.v1 import listing_pb2, listing_service_pb2

_FULL = listing_pb2.LISTING_VIEW_FULL


async def serve(port: int, database_url: str) -> None:
    engine = make_async_engine(database_url)  # its dialect only: reads use the pool
    pool = ReadPool(database_url, max_size=10)

    async def empty(_request: empty_pb2.Empty, _context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    async def get(
        request: listing_service_pb2.GetListingRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> listing_pb2.Listing:
        key = request.name.removeprefix("listings/")
        full = request.view in (listing_pb2.LISTING_VIEW_UNSPECIFIED, _FULL)
        statements = listings_with_media([key], full=full, postgres=True)
        results = await read_in_one_round_trip(
            engine, context.time_remaining(), statements, pool=pool
        )
        rows, media = parse_listings_with_media(results, [key], full=full)
        message = listing_pb2.Listing()
        fill_listing(message, rows[key], full=full, media=media[key] if media is not None else ())
        return message

    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    METHOD: grpc.unary_unary_rpc_method_handler(
                        empty,
                        request_deserializer=empty_pb2.Empty.FromString,
                        response_serializer=empty_pb2.Empty.SerializeToString,
                    )
                },
            ),
            grpc.method_handlers_generic_handler(
                "wonder.v1.ListingService",
                {
                    "GetListing": grpc.unary_unary_rpc_method_handler(
                        get,
                        request_deserializer=listing_service_pb2.GetListingRequest.FromString,
                        response_serializer=listing_pb2.Listing.SerializeToString,
                    )
                },
            ),
        ]
    )
    # The readiness probe of bench.grpc_bench asks the standard health service.
    checker = health.aio.HealthServicer()
    await checker.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    try:
        await server.wait_for_termination()
    finally:
        await pool.aclose()
        await engine.dispose()


@contextlib.contextmanager
def bare_server(database: ScratchDatabase) -> Iterator[str]:
    """The bare server over ``database`` in its own process; yields its target."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.read_ceiling", "--serve", str(port), database.url]
    with started("bare gRPC server", argv, child_env(), grpc_serving(port)):
        yield f"127.0.0.1:{port}"


def measure(listings: int) -> None:
    from bench.seed import generate_listings
    from bench.support import scratch_database

    with scratch_database() as database, tempfile.TemporaryDirectory() as folder:
        progress(f"generating {listings:,} listings in PostgreSQL")
        generate_listings(database, listings)
        keys = write_keys(database, Path(folder))
        with bare_server(database) as target:
            scale = FULL_SCALE
            specs = {m: closed(scale, target, m, keys) for m in ("empty", "get", "get_basic")}
            progress(f"bare server: empty vs GetListing, {scale.concurrency} callers")
            result = interleaved(specs, scale, token="unused: the bare server has no auth")
    empty = result["empty"].qps
    print(f"bare grpc.aio server, {listings:,} listings, {scale.concurrency} callers")
    print(f"  empty method                 {fmt_rate(empty, 'QPS')}")
    for method, label in (("get", "GetListing FULL "), ("get_basic", "GetListing BASIC")):
        qps = result[method].qps
        print(
            f"  {label}             {fmt_rate(qps, 'QPS')}  "
            f"ratio {fmt_ratio(qps / empty if empty else 0.0)}{result[method].note()}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_ceiling", description=__doc__)
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument(
        "--serve", nargs=2, metavar=("PORT", "DATABASE_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(int(args.serve[0]), args.serve[1]))
        return 0
    measure(args.listings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
