"""Webhooks as Buildium sends them: one thin signed event per POST, retried after 1 min, 10 min
and 1 h (scaled 100 times shorter under ``fast``), then dropped."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wonder.sandbox.server import serve_in_thread

SECRET = "whsec-test"


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()

        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.received.append((dict(request.headers), body))
            return Response(status_code=self.status)

        self.server = serve_in_thread(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
        self.url = f"{self.server.base_url}/hook"


def verify(headers: dict[str, str], body: bytes) -> bool:
    timestamp = headers["buildium-webhook-timestamp"]
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).digest()
    return hmac.compare_digest(
        base64.b64encode(digest).decode(), headers["buildium-webhook-signature"]
    )


def test_a_change_sends_one_thin_signed_event_per_post(mock_buildium):
    bu = mock_buildium()
    receiver = Receiver()
    try:
        target = {"url": receiver.url, "secret": SECRET, "deliver_in_background": False}
        answer = bu.raw(headers={}).post("/_sandbox/webhooks", json=target)
        assert answer.status_code == 200
        assert SECRET not in answer.text
        lease_id = min(bu.sandbox.store.records["leases"])
        lease = bu.raw().get(f"/v1/leases/{lease_id}").json()
        body = {k: lease[k] for k in ("LeaseType", "UnitId", "LeaseFromDate", "IsEvictionPending")}
        assert bu.raw().put(f"/v1/leases/{lease_id}", json=body).status_code == 200
        charge = {"Date": "2026-03-10", "Lines": [{"Amount": 10, "GLAccountId": 7}]}
        txn = bu.raw().post(f"/v1/leases/{lease_id}/charges", json=charge).json()[0]
        assert bu.raw(headers={}).post("/_sandbox/webhooks/pump").status_code == 200
    finally:
        receiver.server.stop()
    events = [json.loads(body) for _, body in receiver.received]
    assert all(verify(headers, body) for headers, body in receiver.received)
    assert all(
        body == json.dumps(json.loads(body), separators=(",", ":")).encode()
        for _, body in receiver.received
    )
    assert events[0] == {
        "EventName": "Lease.Updated",
        "EventDateTime": events[0]["EventDateTime"],
        "AccountId": 1,
        "LeaseId": lease_id,
    }
    assert events[0]["EventDateTime"].endswith("Z")
    assert events[1] == {
        **events[1],
        "EventName": "LeaseTransaction.Created",
        "TransactionId": txn["Id"],
    }
    assert "LeaseId" not in events[1]
    assert "EventId" not in events[1]
    forged = dict(receiver.received[0][0], **{"buildium-webhook-signature": "AAAA"})
    assert not verify(forged, receiver.received[0][1])


def test_a_failing_receiver_gets_retries_after_1_10_60_minutes_scaled_then_the_event_is_dropped(
    mock_buildium,
):
    bu = mock_buildium(profile="fast")
    receiver = Receiver(status=500)
    try:
        bu.sandbox.set_webhook(receiver.url, SECRET)
        bu.sandbox.advance(edits=1)  # one event, first attempt now
        bu.sandbox.advance(seconds=3_600)  # far past every retry (scaled: 0.6 s, 6 s, 36 s)
        attempts = [a for a in bu.sandbox.outbox.attempts if a.event == 1]
    finally:
        receiver.server.stop()
    gaps = [round(b.at - a.at, 3) for a, b in itertools.pairwise(attempts)]
    assert gaps == [0.6, 6.0, 36.0]
    assert [a.outcome for a in attempts] == ["retry", "retry", "retry", "dropped"]
    assert bu.sandbox.outbox.pending() == 0


def test_twenty_failures_in_a_row_suspend_the_subscription(mock_buildium):
    bu = mock_buildium()
    receiver = Receiver(status=503)
    try:
        bu.sandbox.set_webhook(receiver.url, SECRET)
        bu.sandbox.advance(edits=25)
        bu.sandbox.advance(seconds=3_600)
    finally:
        receiver.server.stop()
    subscription = bu.sandbox.outbox.stats()["subscriptions"][0]
    assert subscription["suspended"] is True
    assert len(receiver.received) == 20


def test_the_duplicate_fault_posts_an_event_twice_with_the_same_body(mock_buildium):
    bu = mock_buildium()
    receiver = Receiver()
    try:
        bu.sandbox.set_webhook(receiver.url, SECRET)
        bu.sandbox.set_faults(webhook_duplicate_rate=1.0)
        lease_id = min(bu.sandbox.store.records["leases"])
        bu.sandbox.store.touch("leases", lease_id)
        bu.sandbox.outbox.pump()
    finally:
        receiver.server.stop()
    bodies = [body for _, body in receiver.received]
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert json.loads(bodies[0])["LeaseId"] == lease_id
