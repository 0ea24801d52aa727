"""Webhook receiver throughput: signed Buildium events verified and stored in the inbox
(PostgreSQL, committed before each 2xx) per second, against an empty handler (reads the body,
answers 200) on the same uvicorn stack in the same run; plus the p99 answer time against
Buildium's 10 s. The server runs in a thread of this process, the client is asyncio httpx with
the requests signed beforehand, for both measurements alike."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.support import ScratchDatabase, progress, scratch_database
from bench.table import Row, fmt_ms, fmt_rate, fmt_ratio, ratio
from wonder.db.engine import async_session_factory, make_async_engine
from wonder.sandbox.server import serve_in_thread
from wonder.webhooks.app import create_app
from wonder.webhooks.buildium import BuildiumSource
from wonder.webhooks.ports import NullSink
from wonder.webhooks.signatures import buildium_signature

SECRET = "bench-secret"
PATH = "/webhooks/buildium"
GOAL = 0.5


def _requests(count: int, offset: int) -> list[tuple[bytes, dict[str, str]]]:
    stamp = int(time.time())
    prepared = []
    for n in range(count):
        body = orjson.dumps(
            {
                "EventName": "Lease.Updated",
                "EventDateTime": "2026-12-02T05:00:00Z",
                "AccountId": 1,
                "LeaseId": offset + n,
            }
        )
        headers = {
            "buildium-webhook-signature": buildium_signature(SECRET, body, stamp),
            "buildium-webhook-timestamp": str(stamp),
            "content-type": "application/json",
        }
        prepared.append((body, headers))
    return prepared


async def _fire(
    url: str, requests: Sequence[tuple[bytes, dict[str, str]]], concurrency: int
) -> tuple[float, list[float]]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while queue:
                body, headers = queue.pop()
                began = time.perf_counter()
                answer = await client.post(PATH, content=body, headers=headers)
                latencies.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    raise RuntimeError(f"bench request answered {answer.status_code}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def _empty_app() -> Starlette:
    async def empty(request: Request) -> Response:
        await request.body()
        return JSONResponse({"stored": True})

    return Starlette(routes=[Route(PATH, empty, methods=["POST"])])


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def run(database: ScratchDatabase, events: int = 3000, concurrency: int = 8) -> list[Row]:
    engine = make_async_engine(database.url, pool_size=concurrency, max_overflow=0)
    app = create_app(
        sources=[BuildiumSource([SECRET])],
        sessions=async_session_factory(engine),
        sink=NullSink(),
        max_body_bytes=64 * 1024,
    )
    warm = min(200, events // 10)
    with serve_in_thread(_empty_app()) as empty, serve_in_thread(app) as receiver:
        asyncio.run(_fire(empty.base_url, _requests(warm, 0), concurrency))
        asyncio.run(_fire(receiver.base_url, _requests(warm, 10_000_000), concurrency))
        progress(f"webhooks: {events} events to the empty handler, then to the receiver")
        empty_seconds, _ = asyncio.run(_fire(empty.base_url, _requests(events, 0), concurrency))
        stored_seconds, latencies = asyncio.run(
            _fire(receiver.base_url, _requests(events, 20_000_000), concurrency)
        )
    stored_rate, empty_rate = events / stored_seconds, events / empty_seconds
    share = ratio(stored_rate, empty_rate)
    p99 = _p99(latencies)
    return [
        Row(
            "verified + stored events/s",
            fmt_rate(stored_rate, "events/s"),
            fmt_rate(empty_rate, "events/s (empty handler)"),
            fmt_ratio(share),
            f"≥ {GOAL}",
            share >= GOAL,
        ),
        Row(
            "p99 answer time (stored)",
            fmt_ms(p99),
            "10 s (Buildium's limit)",
            fmt_ratio(ratio(p99, 10.0)),
            "≤ 0.1",
            p99 <= 1.0,
        ),
    ]


def standalone(events: int = 3000) -> list[Row]:
    with scratch_database() as database:
        return run(database, events)
