"""Webhook delivery on the virtual clock, through httpx.MockTransport: signatures checked the
way a receiver would, the Buildium retry schedule, suspension, the Airtable schedule, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.profiles import speed_profile
from wonder.sandbox.webhooks import (
    AIRTABLE_RETRY,
    BUILDIUM_RETRY,
    DeliveryFaults,
    RetryPolicy,
    WebhookOutbox,
    airtable_signer,
    buildium_signer,
)

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
T0 = START.timestamp()
SECRET = "buildium-webhook-secret"
URL = "http://receiver.test/hooks/buildium"
EVENT = {"EventName": "Lease.Updated", "EventDateTime": "2026-03-02T09:30:00Z", "LeaseId": 7}


@dataclass
class Receiver:
    """Answers with ``statuses`` in turn (then the last one forever); keeps every request."""

    statuses: list[int | Exception] = field(default_factory=lambda: [200])
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)

    def timestamps(self) -> list[float]:
        return [float(r.headers["buildium-webhook-timestamp"]) for r in self.requests]


@pytest.fixture
def clock() -> SandboxClock:
    return SandboxClock(START, frozen=True)


@pytest.fixture
def make_outbox(clock: SandboxClock) -> Iterator[Callable[..., tuple[WebhookOutbox, Receiver]]]:
    made: list[WebhookOutbox] = []

    def make(
        statuses: list[int | Exception] | None = None,
        policy: RetryPolicy = BUILDIUM_RETRY,
        faults: DeliveryFaults | None = None,
    ) -> tuple[WebhookOutbox, Receiver]:
        receiver = Receiver(statuses or [200])
        http = httpx.Client(transport=httpx.MockTransport(receiver))
        outbox = WebhookOutbox(clock, seed=1, http=http, faults=faults)
        outbox.subscribe(URL, buildium_signer(SECRET), policy=policy, subscription_id="buildium")
        made.append(outbox)
        return outbox, receiver

    yield make
    for outbox in made:
        outbox.close()


def verify_buildium(request: httpx.Request, secret: str) -> bool:
    """What a receiver does: HMAC over "{timestamp}.{raw body}", compared in constant time."""
    timestamp = request.headers["buildium-webhook-timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.content, hashlib.sha256
    ).digest()
    given = base64.b64decode(request.headers["buildium-webhook-signature"])
    return hmac.compare_digest(expected, given)


def test_buildium_delivery_is_signed_over_timestamp_and_compact_body(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]], clock: SandboxClock
) -> None:
    outbox, receiver = make_outbox()
    clock.advance(12.5)
    outbox.enqueue(EVENT)
    assert receiver.requests == []  # nothing is sent before pump
    attempts = outbox.pump()
    assert [a.outcome for a in attempts] == ["delivered"]
    (request,) = receiver.requests
    assert request.method == "POST"
    assert str(request.url) == URL
    assert request.headers["content-type"] == "application/json"
    assert request.content == json.dumps(EVENT, separators=(",", ":")).encode()
    assert request.headers["buildium-webhook-timestamp"] == str(int(T0 + 12.5))
    assert verify_buildium(request, SECRET)
    assert not verify_buildium(request, "another-secret")
    # A body changed in transit no longer verifies.
    tampered = httpx.Request("POST", URL, headers=request.headers, content=request.content + b" ")
    assert not verify_buildium(tampered, SECRET)


def test_airtable_ping_carries_the_hex_mac_of_the_body(clock: SandboxClock) -> None:
    key = b"\x01\x02airtable-mac-secret\xff"
    secret = base64.b64encode(key).decode()
    receiver = Receiver()
    outbox = WebhookOutbox(clock, http=httpx.Client(transport=httpx.MockTransport(receiver)))
    outbox.subscribe(URL, airtable_signer(secret), policy=AIRTABLE_RETRY)
    ping = {"base": {"id": "appX"}, "webhook": {"id": "achY"}, "timestamp": "2026-03-02T09:30Z"}
    outbox.enqueue(ping)
    outbox.pump()
    outbox.close()
    (request,) = receiver.requests
    mac = request.headers["X-Airtable-Content-MAC"]
    assert mac == "hmac-sha256=" + hmac.new(key, request.content, hashlib.sha256).hexdigest()
    assert json.loads(request.content) == ping


def test_buildium_retries_after_1_min_10_min_1_h_then_drops(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]], clock: SandboxClock
) -> None:
    outbox, receiver = make_outbox([500])
    outbox.enqueue(EVENT)
    assert [a.outcome for a in outbox.pump()] == ["retry"]
    for wait, expected_attempts in ((59, 1), (1, 2), (599, 2), (1, 3), (3_599, 3), (1, 4)):
        clock.advance(wait)
        outbox.pump()
        assert len(receiver.requests) == expected_attempts, (wait, expected_attempts)
    assert receiver.timestamps() == [T0, T0 + 60, T0 + 660, T0 + 4_260]
    assert [a.outcome for a in outbox.attempts] == ["retry", "retry", "retry", "dropped"]
    clock.advance(86_400)
    assert outbox.pump() == []
    assert len(receiver.requests) == 4
    stats = outbox.stats()
    assert (stats["dropped"], stats["failed_attempts"], stats["pending"]) == (1, 4, 0)
    assert stats["subscriptions"][0]["suspended"] is False  # one dropped event is no suspension
    assert all(verify_buildium(request, SECRET) for request in receiver.requests)


def test_one_pump_after_a_long_advance_plays_the_whole_schedule(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]], clock: SandboxClock
) -> None:
    outbox, receiver = make_outbox([503, 503, 200])
    outbox.enqueue(EVENT)
    clock.advance(7_200)
    attempts = outbox.pump()
    assert [(a.number, a.at, a.status, a.outcome) for a in attempts] == [
        (1, T0, 503, "retry"),
        (2, T0 + 60, 503, "retry"),
        (3, T0 + 660, 200, "delivered"),
    ]
    assert attempts[0].next_at == T0 + 60
    assert receiver.timestamps() == [T0, T0 + 60, T0 + 660]
    assert outbox.stats()["subscriptions"][0]["consecutive_failures"] == 0


def test_twenty_consecutive_failures_suspend_the_subscription(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]], clock: SandboxClock
) -> None:
    outbox, receiver = make_outbox([500])
    for lease in range(20):
        outbox.enqueue({**EVENT, "LeaseId": lease})
    attempts = outbox.pump()
    assert [a.outcome for a in attempts] == ["retry"] * 19 + ["suspended"]
    stats = outbox.stats()
    assert stats["subscriptions"][0]["suspended"] is True
    assert (stats["pending"], stats["discarded"]) == (0, 20)
    # Suspended: later events and retries go nowhere, however long we wait.
    outbox.enqueue(EVENT)
    clock.advance(86_400)
    assert outbox.pump() == []
    assert len(receiver.requests) == 20
    assert outbox.stats()["skipped"] == 1
    # Re-enabled (in Buildium's UI): new events flow again.
    outbox.resume("buildium")
    receiver.statuses = [200]
    outbox.enqueue(EVENT)
    assert [a.outcome for a in outbox.pump()] == ["delivered"]


def test_a_success_resets_the_consecutive_failures(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]],
) -> None:
    outbox, _ = make_outbox([500] * 19 + [204] + [500] * 19)
    for lease in range(39):
        outbox.enqueue({**EVENT, "LeaseId": lease})
    attempts = outbox.pump()
    assert [a.outcome for a in attempts].count("suspended") == 0
    assert attempts[19].outcome == "delivered"
    assert outbox.stats()["subscriptions"][0]["consecutive_failures"] == 19


def test_timeouts_connection_errors_and_non_2xx_answers_are_failures(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]],
) -> None:
    outbox, _ = make_outbox(
        [httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), 302, 404, 200]
    )
    for lease in range(5):
        outbox.enqueue({**EVENT, "LeaseId": lease})
    attempts = outbox.pump()
    assert [(a.status, a.outcome) for a in attempts] == [
        (None, "retry"),
        (None, "retry"),
        (302, "retry"),
        (404, "retry"),
        (200, "delivered"),
    ]
    assert attempts[0].error == "timeout (ReadTimeout)"
    assert attempts[1].error is not None
    assert attempts[1].error.startswith("ConnectError")


def test_the_policy_timeout_reaches_the_request(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]],
) -> None:
    outbox, receiver = make_outbox()
    outbox.enqueue(EVENT)
    outbox.pump()
    assert receiver.requests[0].extensions["timeout"]["read"] == BUILDIUM_RETRY.timeout_seconds


def test_airtable_schedule_exhausted_disables_notifications(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]], clock: SandboxClock
) -> None:
    outbox, receiver = make_outbox([500], policy=AIRTABLE_RETRY)
    outbox.enqueue(EVENT)
    clock.advance(2 * 86_400)
    attempts = outbox.pump()
    assert len(attempts) == 1 + len(AIRTABLE_RETRY.delays_seconds) == 14
    assert attempts[-1].outcome == "suspended"
    assert attempts[-1].at - T0 == sum(AIRTABLE_RETRY.delays_seconds)
    assert 20 * 3_600 < attempts[-1].at - T0 <= 86_400  # ~13 retries over a day
    assert outbox.stats()["subscriptions"][0]["suspended"] is True
    outbox.enqueue(EVENT)
    assert outbox.pump() == []
    assert len(receiver.requests) == 14


def test_fast_profile_shortens_the_schedule_only() -> None:
    fast = BUILDIUM_RETRY.scaled(speed_profile("fast"))
    assert fast.delays_seconds == (0.6, 6.0, 36.0)
    assert fast.timeout_seconds == BUILDIUM_RETRY.timeout_seconds
    assert fast.suspend_after_failures == 20


def test_duplicate_fault_posts_a_delivered_event_twice(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]],
) -> None:
    outbox, receiver = make_outbox(faults=DeliveryFaults(duplicate_rate=1.0))
    outbox.enqueue(EVENT)
    assert [a.outcome for a in outbox.pump()] == ["delivered", "duplicate"]
    first, second = receiver.requests
    assert first.content == second.content
    assert verify_buildium(second, SECRET)
    assert outbox.stats()["duplicates"] == 1


def test_out_of_order_fault_reorders_due_deliveries(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]],
) -> None:
    outbox, receiver = make_outbox(faults=DeliveryFaults(out_of_order_rate=1.0))
    for lease in (1, 2, 3):
        outbox.enqueue({**EVENT, "LeaseId": lease})
    outbox.pump()
    order = [json.loads(r.content)["LeaseId"] for r in receiver.requests]
    assert sorted(order) == [1, 2, 3]
    assert order != [1, 2, 3]
    # Without the fault, events go out in the order they happened.
    outbox.configure_faults(DeliveryFaults())
    receiver.requests.clear()
    for lease in (4, 5, 6):
        outbox.enqueue({**EVENT, "LeaseId": lease})
    outbox.pump()
    assert [json.loads(r.content)["LeaseId"] for r in receiver.requests] == [4, 5, 6]


def test_every_subscription_gets_its_own_delivery_and_stats_log_them(
    make_outbox: Callable[..., tuple[WebhookOutbox, Receiver]],
) -> None:
    outbox, receiver = make_outbox()
    outbox.subscribe("http://second.test/hook", buildium_signer("other"), subscription_id="two")
    ids = outbox.enqueue(EVENT)
    assert len(ids) == 2
    outbox.pump()
    assert sorted(str(r.url) for r in receiver.requests) == sorted([URL, "http://second.test/hook"])
    stats = outbox.stats()
    assert (stats["events"], stats["delivered"]) == (1, 2)
    assert {a["subscription"] for a in stats["attempts"]} == {"buildium", "two"}
    assert {a["event"] for a in stats["attempts"]} == {1}
    assert json.loads(json.dumps(stats)) == stats  # JSON-ready for /_sandbox/stats
    outbox.reset()
    assert outbox.stats()["attempts"] == []
