"""``POST /webhooks/buildium`` over real HTTP (uvicorn on loopback, port 0), on both databases:
what is stored, what is refused and with which status, and that the 2xx follows the commit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx

from tests.webhook_fixtures import (
    MAX_BODY,
    PREVIOUS_SECRET,
    SECRET,
    RecordingSink,
    SlowCommitSession,
    compact,
    lease_event,
    signed_headers,
)
from wonder.db.enums import InboxStatus
from wonder.webhooks.buildium import BuildiumSource

PATH = "/webhooks/buildium"


def test_a_signed_event_is_stored_pending_and_announced(start_receiver) -> None:
    receiver = start_receiver()
    body = lease_event(7)
    answer = receiver.post(PATH, body, signed_headers(body))
    assert answer.status_code == 200
    [row] = receiver.rows()
    assert (row.source, row.entity_key, row.status) == ("buildium", "lease.7", InboxStatus.PENDING)
    assert row.payload == {
        "EventName": "Lease.Updated",
        "EventDateTime": "2026-12-02T05:00:00Z",
        "AccountId": 1,
        "LeaseId": 7,
    }
    assert row.attempts == 0
    deadline = time.monotonic() + 5
    while not receiver.sink.emitted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert receiver.sink.emitted == [("buildium", "lease.7", row.id)]


def test_forged_signature_is_401_and_stores_nothing(start_receiver) -> None:
    receiver = start_receiver()
    body = lease_event(7)
    forged = signed_headers(body, secret="not-the-secret")
    assert receiver.post(PATH, body, forged).status_code == 401
    # The signature of another body does not carry over either.
    other = signed_headers(lease_event(8))
    assert receiver.post(PATH, body, other).status_code == 401
    missing = {"content-type": "application/json"}
    assert receiver.post(PATH, body, missing).status_code == 401
    assert receiver.rows() == []


def test_stale_and_future_timestamps_are_401_even_when_signed(start_receiver) -> None:
    receiver = start_receiver()
    body = lease_event(7)
    now = int(time.time())
    stale = signed_headers(body, timestamp=now - 301 - 5)
    future = signed_headers(body, timestamp=now + 301 + 5)
    assert receiver.post(PATH, body, stale).status_code == 401
    assert receiver.post(PATH, body, future).status_code == 401
    inside = signed_headers(body, timestamp=now - 240)
    assert receiver.post(PATH, body, inside).status_code == 200
    assert len(receiver.rows()) == 1


def test_a_replayed_delivery_and_a_duplicate_event_are_stored_once(start_receiver) -> None:
    receiver = start_receiver()
    body = lease_event(7)
    headers = signed_headers(body)
    first = receiver.post(PATH, body, headers)
    replayed = receiver.post(PATH, body, headers)  # same bytes, same signature
    resent = receiver.post(PATH, body, signed_headers(body, timestamp=int(time.time()) - 60))
    assert [first.status_code, replayed.status_code, resent.status_code] == [200, 200, 200]
    assert replayed.json() == {"stored": False, "duplicate": True}
    assert len(receiver.rows()) == 1
    # Another event time of the same lease is another event.
    later = lease_event(7, when="2026-12-02T05:00:01Z")
    assert receiver.post(PATH, later, signed_headers(later)).status_code == 200
    assert len(receiver.rows()) == 2


def test_rotation_accepts_the_previous_secret_and_refuses_an_unknown_one(start_receiver) -> None:
    receiver = start_receiver()
    old = lease_event(1)
    new = lease_event(2)
    assert receiver.post(PATH, old, signed_headers(old, secret=PREVIOUS_SECRET)).status_code == 200
    assert receiver.post(PATH, new, signed_headers(new, secret=SECRET)).status_code == 200
    unknown = lease_event(3)
    assert (
        receiver.post(PATH, unknown, signed_headers(unknown, secret="retired")).status_code == 401
    )
    assert [row.entity_key for row in receiver.rows()] == ["lease.1", "lease.2"]


def test_after_the_rotation_the_old_secret_is_refused(start_receiver) -> None:
    receiver = start_receiver(sources=[BuildiumSource([SECRET])])
    body = lease_event(1)
    assert (
        receiver.post(PATH, body, signed_headers(body, secret=PREVIOUS_SECRET)).status_code == 401
    )


def test_malformed_deliveries_are_400(start_receiver) -> None:
    receiver = start_receiver()
    for body in (
        b"{not json",
        b"[1, 2]",
        compact({"EventName": "Lease.Updated"}),
        compact({"EventName": 3, "EventDateTime": "2026-12-02T05:00:00Z"}),
    ):
        assert receiver.post(PATH, body, signed_headers(body)).status_code == 400, body
    body = lease_event(7)
    bad_stamp = {**signed_headers(body), "buildium-webhook-timestamp": "yesterday"}
    assert receiver.post(PATH, body, bad_stamp).status_code == 400
    assert receiver.rows() == []


def test_oversized_bodies_are_413_declared_or_streamed(start_receiver) -> None:
    receiver = start_receiver()
    big = lease_event(7, Padding="x" * MAX_BODY)
    assert receiver.post(PATH, big, signed_headers(big)).status_code == 413

    def chunks() -> Iterator[
        bytes
    ]:  # no Content-Length: chunked transfer, the limit is counted as it streams
        for _ in range(MAX_BODY // 512 + 2):
            yield b"x" * 512

    streamed = httpx.post(
        receiver.url + PATH, content=chunks(), headers=signed_headers(big), timeout=10
    )
    assert streamed.status_code == 413
    exactly = lease_event(7, Padding="")
    padded = lease_event(7, Padding="y" * (MAX_BODY - len(exactly)))
    assert len(padded) == MAX_BODY
    assert receiver.post(PATH, padded, signed_headers(padded)).status_code == 200
    assert len(receiver.rows()) == 1


def test_wrong_method_unknown_path_unknown_source(start_receiver) -> None:
    receiver = start_receiver()
    assert httpx.get(receiver.url + PATH).status_code == 405
    assert httpx.put(receiver.url + PATH, content=b"{}").status_code == 405
    assert httpx.post(receiver.url + "/webhooks/airtable", content=b"{}").status_code == 404
    assert httpx.post(receiver.url + "/hooks/buildium", content=b"{}").status_code == 404
    assert receiver.rows() == []


def test_the_2xx_comes_after_the_commit(start_receiver, engine) -> None:
    receiver = start_receiver(session_class=SlowCommitSession)
    body = lease_event(7)
    assert receiver.post(PATH, body, signed_headers(body)).status_code == 200
    # Read at once, on another connection: a receiver answering before its commit fails here.
    assert len(receiver.rows()) == 1


def test_a_failing_event_sink_does_not_fail_the_2xx(start_receiver) -> None:
    receiver = start_receiver(sink=RecordingSink(fail=True))
    body = lease_event(7)
    assert receiver.post(PATH, body, signed_headers(body)).status_code == 200
    assert len(receiver.rows()) == 1


def test_the_sandbox_outbox_delivers_to_the_receiver(start_receiver) -> None:
    """Interoperation: the Buildium sandbox's signed delivery is what the receiver verifies; a
    duplicate Buildium sends is stored once; a subscription signing with another secret is
    refused."""
    from datetime import UTC, datetime

    from wonder.sandbox.clock import SandboxClock
    from wonder.sandbox.webhooks import WebhookOutbox, buildium_signer

    receiver = start_receiver()
    outbox = WebhookOutbox(SandboxClock(datetime.now(UTC), frozen=True))
    outbox.subscribe(receiver.url + PATH, buildium_signer(SECRET))
    event = {
        "EventName": "Lease.Created",
        "EventDateTime": "2026-12-02T05:00:00Z",
        "AccountId": 1,
        "LeaseId": 12,
    }
    try:
        outbox.enqueue(event)
        outbox.enqueue(dict(event))
        assert [(a.status, a.outcome) for a in outbox.pump()] == [(200, "delivered")] * 2
    finally:
        outbox.close()
    assert [row.entity_key for row in receiver.rows()] == ["lease.12"]

    wrong = WebhookOutbox(SandboxClock(datetime.now(UTC), frozen=True))
    wrong.subscribe(receiver.url + PATH, buildium_signer("not-ours"))
    try:
        wrong.enqueue({**event, "LeaseId": 13})
        assert [a.status for a in wrong.pump()] == [401]
    finally:
        wrong.close()
    assert len(receiver.rows()) == 1


def test_a_signed_event_holding_nul_is_stored_with_it_replaced_and_once(start_receiver) -> None:
    # PostgreSQL refuses NUL in text and JSON: stored as is, the event was answered 503 on every
    # redelivery and never kept.
    receiver = start_receiver()
    event = {
        "EventName": "Lease.Updated",
        "EventDateTime": "2026-12-02T05:00:00Z",
        "AccountId": 1,
        "LeaseId": "7\x00",
        "Note": "a\x00b",
    }
    body = compact(event)
    first = receiver.post(PATH, body, signed_headers(body))
    again = receiver.post(PATH, body, signed_headers(body))
    assert [first.status_code, again.status_code] == [200, 200]
    [row] = receiver.rows()
    assert row.payload == {**event, "LeaseId": "7\ufffd", "Note": "a\ufffdb"}
    assert row.entity_key == "lease.7\ufffd"
