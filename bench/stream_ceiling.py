"""The bare grpc.aio server-streaming ceiling on this machine: ``python -m bench.stream_ceiling``.

One grpc.aio server writes the same prebuilt BASIC ``ListingChange`` N times with an awaited
``context.write`` (no interceptors, no database, no mapping), and a sync client in another
process parses and counts them, as the replay benchmark's client does. What
``StreamListingChanges`` replays per second can only approach this figure: the difference is our
per-message work. The replay benchmark (``bench.grpc_bench``) measures it as its reference, in
alternating rounds with the real stream.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import grpc
import grpc.aio

from wonder.v1 import listing_pb2, listing_service_pb2

MESSAGES = 50_000
_CLIENT = """
import sys, time, grpc
from wonder.v1 import listing_service_pb2
channel = grpc.insecure_channel(sys.argv[1])
call = channel.unary_stream(
    "/bench.Ceiling/Stream",
    request_serializer=bytes,
    response_deserializer=listing_service_pb2.ListingChange.FromString,
)(b"")
started, seen = time.perf_counter(), 0
for _ in call:
    seen += 1
print(seen / (time.perf_counter() - started))
"""


def _message(stored: bytes | None) -> listing_service_pb2.ListingChange:
    if stored is not None:
        return listing_service_pb2.ListingChange(
            cursor=1,
            kind=listing_service_pb2.ListingChange.KIND_UPSERT,
            listing=listing_pb2.Listing.FromString(stored),
        )
    listing = listing_pb2.Listing(
        name="listings/100000001",
        listing_key="100000001",
        standard_status="Active",
        city="Austin",
        unparsed_address="1 Main St",
    )
    return listing_service_pb2.ListingChange(
        cursor=1, kind=listing_service_pb2.ListingChange.KIND_UPSERT, listing=listing
    )


async def _measure(stored: bytes | None) -> float:
    message = _message(stored)

    async def stream(_request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        for _ in range(MESSAGES):
            await context.write(message)

    handler = grpc.unary_stream_rpc_method_handler(
        stream,
        request_deserializer=bytes,
        response_serializer=listing_service_pb2.ListingChange.SerializeToString,
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("bench.Ceiling", {"Stream": handler})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CLIENT, f"127.0.0.1:{port}", stdout=asyncio.subprocess.PIPE
        )
        out, _ = await client.communicate()
        if client.returncode:
            raise RuntimeError(f"the ceiling's client exited with {client.returncode}")
        return float(out)
    finally:
        await server.stop(None)


def ceiling_rate(stored: bytes | None = None) -> float:
    """Messages/s of one bare stream of ``MESSAGES`` prebuilt changes, measured now; each
    carries the listing serialized in ``stored`` (a row's ``api_basic``) when given, so it is as
    large as the real stream's."""
    return asyncio.run(_measure(stored))


if __name__ == "__main__":
    print(f"{ceiling_rate():,.0f} messages/s ({MESSAGES:,} messages)")
