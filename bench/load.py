"""The gRPC load generator, a process of its own: ``python -m bench.load '<json spec>'``.

Closed loop: ``concurrency`` callers each issue the next call as soon as the last one returns
(throughput). Open loop: calls start on a fixed schedule (``rate`` per second) whatever the
latency, and each latency counts from the scheduled start, so a stall is not hidden by callers
that stopped sending (coordinated omission). Both are bounded in time and in calls. The token
comes from ``BENCH_TOKEN`` (never the command line); the result is one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from google.protobuf import empty_pb2

from bench.reference_service import EMPTY_METHOD_PATH
from wonder.v1 import listing_pb2, listing_service_pb2, listing_service_pb2_grpc

LIST_FILTER = 'standard_status = "Active" AND list_price <= 900000'
LIST_ORDER = "list_price"
BATCH_SIZE = 100


@dataclass
class LoadSpec:
    target: str
    method: str  # empty | get | get_basic | batch | list | list_by_price
    mode: str = "closed"  # closed | open
    concurrency: int = 16
    channels: int = 2
    duration: float = 10.0
    warmup: float = 1.0
    max_calls: int = 1_000_000
    rate: float = 100.0  # open loop: calls per second
    keys_file: str | None = None
    seed: int = 7
    deadline: float = 5.0
    page_token: str = ""  # list_by_price: the page to read again and again


@dataclass
class LoadResult:
    calls: int = 0
    errors: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def qps(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


Call = Callable[[], Awaitable[Any]]


def make_calls(spec: LoadSpec, channel: grpc.aio.Channel, rng: random.Random) -> Call:
    metadata = (("authorization", f"Bearer {os.environ['BENCH_TOKEN']}"),)
    if spec.method == "empty":
        empty = channel.unary_unary(
            EMPTY_METHOD_PATH,
            request_serializer=empty_pb2.Empty.SerializeToString,
            response_deserializer=empty_pb2.Empty.FromString,
        )
        ping = empty_pb2.Empty()
        return lambda: empty(ping, metadata=metadata, timeout=spec.deadline)
    stub = listing_service_pb2_grpc.ListingServiceStub(channel)
    if spec.method in ("get", "get_basic"):
        assert spec.keys_file is not None, "get needs keys_file"
        keys = Path(spec.keys_file).read_text().split()
        view = (
            listing_pb2.LISTING_VIEW_BASIC
            if spec.method == "get_basic"
            else listing_pb2.LISTING_VIEW_UNSPECIFIED
        )
        return lambda: stub.GetListing(
            listing_service_pb2.GetListingRequest(name=f"listings/{rng.choice(keys)}", view=view),
            metadata=metadata,
            timeout=spec.deadline,
        )
    if spec.method == "batch":
        assert spec.keys_file is not None, "batch needs keys_file"
        pool = Path(spec.keys_file).read_text().split()
        return lambda: stub.BatchGetListings(
            listing_service_pb2.BatchGetListingsRequest(
                names=[f"listings/{key}" for key in rng.sample(pool, BATCH_SIZE)]
            ),
            metadata=metadata,
            timeout=spec.deadline,
        )
    if spec.method == "list_by_price":
        # Every listing ordered by the nullable list_price: page 1, or a deep page's token.
        deep = listing_service_pb2.ListListingsRequest(
            page_size=50, order_by=LIST_ORDER, page_token=spec.page_token
        )
        return lambda: stub.ListListings(deep, metadata=metadata, timeout=spec.deadline)
    if spec.method == "list":
        page = listing_service_pb2.ListListingsRequest(
            page_size=50, filter=LIST_FILTER, order_by=LIST_ORDER
        )
        return lambda: stub.ListListings(page, metadata=metadata, timeout=spec.deadline)
    raise ValueError(f"unknown method {spec.method!r}")


def record_error(result: LoadResult, error: grpc.aio.AioRpcError) -> None:
    result.errors += 1
    codes = Counter(result.error_codes)
    codes[error.code().name] += 1
    result.error_codes = dict(codes)
    if result.first_error is None:
        result.first_error = f"{error.code().name}: {error.details()}"


async def closed_loop(spec: LoadSpec, calls: list[Call]) -> LoadResult:
    result = LoadResult()
    start = time.perf_counter()
    measure_from = start + spec.warmup
    end = measure_from + spec.duration
    issued = 0

    async def caller(call: Call) -> None:
        nonlocal issued
        while issued < spec.max_calls:
            issued += 1
            began = time.perf_counter()
            if began >= end:
                return
            try:
                await call()
            except grpc.aio.AioRpcError as error:
                if began >= measure_from:
                    record_error(result, error)
                continue
            finished = time.perf_counter()
            if began >= measure_from and finished <= end:
                result.calls += 1
                result.latencies.append(finished - began)

    await asyncio.gather(*(caller(calls[i % len(calls)]) for i in range(spec.concurrency)))
    result.seconds = min(time.perf_counter(), end) - measure_from
    return result


async def open_loop(spec: LoadSpec, calls: list[Call]) -> LoadResult:
    result = LoadResult()
    interval = 1.0 / spec.rate
    total = min(spec.max_calls, int((spec.warmup + spec.duration) * spec.rate))
    warmup_calls = int(spec.warmup * spec.rate)
    start = time.perf_counter() + 0.05

    async def one(index: int, scheduled: float) -> None:
        try:
            await calls[index % len(calls)]()
        except grpc.aio.AioRpcError as error:
            if index >= warmup_calls:
                record_error(result, error)
                # A failed call still took this long: leaving it out would flatter the tail.
                result.latencies.append(time.perf_counter() - scheduled)
            return
        if index >= warmup_calls:
            result.calls += 1
            result.latencies.append(time.perf_counter() - scheduled)

    tasks = []
    for index in range(total):
        scheduled = start + index * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    await asyncio.gather(*tasks)
    result.seconds = (total - warmup_calls) * interval
    return result


async def run(spec: LoadSpec) -> LoadResult:
    rng = random.Random(spec.seed)
    # A subchannel pool per channel: separate TCP connections (SO_REUSEPORT spreads those).
    options = [("grpc.use_local_subchannel_pool", 1)]
    channels = [
        grpc.aio.insecure_channel(spec.target, options=options) for _ in range(spec.channels)
    ]
    try:
        for channel in channels:
            await asyncio.wait_for(channel.channel_ready(), 30)
        calls = [make_calls(spec, channel, rng) for channel in channels]
        if spec.mode == "open":
            return await open_loop(spec, calls)
        return await closed_loop(spec, calls)
    finally:
        for channel in channels:
            await channel.close()


def main(argv: list[str]) -> int:
    spec = LoadSpec(**json.loads(argv[0]))
    result = asyncio.run(run(spec))
    payload = asdict(result)
    payload["qps"] = result.qps
    json.dump(payload, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
