"""Webhook delivery to a real HTTP receiver on loopback (Starlette on uvicorn, port 0) that
verifies each Buildium signature from the raw body, the way our receiver will."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.server import RunningServer, serve_in_thread
from wonder.sandbox.webhooks import BUILDIUM_RETRY, RetryPolicy, WebhookOutbox, buildium_signer

SECRET = "receiver-shared-secret"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
REPLAY_WINDOW_SECONDS = 300


@dataclass
class Received:
    body: bytes
    timestamp: int
    verified: bool


@dataclass
class ReceiverApp:
    """Answers ``statuses`` in turn (then 200); 401 for a bad signature; sleeps ``delay``."""

    clock: SandboxClock
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("buildium-webhook-timestamp", "")
        signature = request.headers.get("buildium-webhook-signature", "")
        expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        verified = hmac.compare_digest(base64.b64encode(expected.digest()).decode(), signature)
        fresh = abs(self.clock.now_seconds() - int(timestamp or 0)) <= REPLAY_WINDOW_SECONDS
        with self.lock:
            self.received.append(Received(body, int(timestamp or 0), verified and fresh))
            number = len(self.received)
        if self.delay:
            await asyncio.sleep(self.delay)
        if not (verified and fresh):
            return Response(status_code=401)
        status = self.statuses[number - 1] if number <= len(self.statuses) else 200
        return Response(status_code=status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hooks/buildium", self.hook, methods=["POST"])])


@pytest.fixture
def frozen_clock() -> SandboxClock:
    return SandboxClock(START, frozen=True)


@pytest.fixture
def serve() -> Iterator[list[RunningServer]]:
    servers: list[RunningServer] = []
    yield servers
    for server in servers:
        server.stop(wait=False)


def start(receiver: ReceiverApp, servers: list[RunningServer]) -> str:
    server = serve_in_thread(receiver.app())
    servers.append(server)
    return f"{server.base_url}/hooks/buildium"


def test_retries_on_the_virtual_clock_reach_a_verifying_receiver(
    frozen_clock: SandboxClock, serve: list[RunningServer]
) -> None:
    receiver = ReceiverApp(frozen_clock, statuses=[500, 503])
    outbox = WebhookOutbox(frozen_clock)
    outbox.subscribe(start(receiver, serve), buildium_signer(SECRET), policy=BUILDIUM_RETRY)
    event = {"EventName": "Rental.Created", "EventDateTime": "2026-03-02T09:30:00Z", "Id": 5}
    try:
        outbox.enqueue(event)
        assert [a.status for a in outbox.pump()] == [500]
        frozen_clock.advance(60)
        assert [a.status for a in outbox.pump()] == [503]
        frozen_clock.advance(600)
        assert [(a.status, a.outcome) for a in outbox.pump()] == [(200, "delivered")]
    finally:
        outbox.close()
    assert all(r.verified for r in receiver.received)
    assert [r.timestamp - int(START.timestamp()) for r in receiver.received] == [0, 60, 660]
    assert {r.body for r in receiver.received} == {
        json.dumps(event, separators=(",", ":")).encode()
    }


def test_a_wrong_secret_is_refused_by_the_receiver(
    frozen_clock: SandboxClock, serve: list[RunningServer]
) -> None:
    receiver = ReceiverApp(frozen_clock)
    outbox = WebhookOutbox(frozen_clock)
    outbox.subscribe(start(receiver, serve), buildium_signer("not-the-secret"))
    try:
        outbox.enqueue({"EventName": "Lease.Created", "LeaseId": 1})
        assert [(a.status, a.outcome) for a in outbox.pump()] == [(401, "retry")]
    finally:
        outbox.close()
    assert [r.verified for r in receiver.received] == [False]


def test_a_receiver_slower_than_the_timeout_is_a_failure(
    frozen_clock: SandboxClock, serve: list[RunningServer]
) -> None:
    receiver = ReceiverApp(frozen_clock, delay=2.0)
    outbox = WebhookOutbox(frozen_clock)
    policy = RetryPolicy(delays_seconds=(60.0,), timeout_seconds=0.2)
    outbox.subscribe(start(receiver, serve), buildium_signer(SECRET), policy=policy)
    try:
        outbox.enqueue({"EventName": "Lease.Updated", "LeaseId": 2})
        (attempt,) = outbox.pump()
    finally:
        outbox.close()
    assert attempt.status is None
    assert attempt.error is not None
    assert attempt.error.startswith("timeout")
    assert attempt.outcome == "retry"


def test_the_worker_thread_delivers_and_retries_on_a_real_time_clock(
    serve: list[RunningServer],
) -> None:
    clock = SandboxClock()  # follows the wall clock
    receiver = ReceiverApp(clock, statuses=[500])
    outbox = WebhookOutbox(clock)
    policy = RetryPolicy(delays_seconds=(0.1, 0.1), timeout_seconds=5.0)
    outbox.subscribe(start(receiver, serve), buildium_signer(SECRET), policy=policy)
    outbox.start(poll_seconds=0.02)
    try:
        outbox.enqueue({"EventName": "Unit.Updated", "UnitId": 3})
        deadline = time.monotonic() + 10
        while outbox.stats()["delivered"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        outbox.close()
    assert [a.outcome for a in outbox.attempts] == ["retry", "delivered"]
    assert len(receiver.received) == 2
    assert all(r.verified for r in receiver.received)
