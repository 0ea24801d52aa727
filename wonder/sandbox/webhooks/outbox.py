"""Signed webhook delivery on the emulator's clock: an outbox of events, subscriptions, retries.

An emulator owns one ``WebhookOutbox`` built on its ``SandboxClock``. It ``subscribe``s target
URLs (each with a signer and a retry policy) and ``enqueue``s one event per data change; every
active subscription gets its own delivery of the same body bytes.

Nothing is sent from ``enqueue``. ``pump()`` delivers every attempt that is due on the clock, one
at a time in due order, and returns what it did. Each attempt is stamped (and signed) with its
*scheduled* time, and a failure schedules the next attempt from there, so one pump after a
large ``advance`` plays out a whole retry schedule exactly as the real service would have over
that much time. Two ways to drive it, both safe from any thread (attempts are claimed under a
lock, the HTTP POSTs run outside it):

- virtual time: the emulator (or a test) calls ``pump()`` after ``advance`` and after changes;
- real time: ``start()`` runs a worker thread that pumps every ``poll_seconds``, for a server
  whose clock follows the wall clock (retries then happen as time passes); ``stop()`` ends it.

An attempt succeeds on a 2xx within the policy's timeout; anything else (other status, timeout,
connection error) fails it. Failed attempts in a row count per subscription; a subscription is
suspended when its policy says so, which discards its pending deliveries; events for a
suspended subscription are skipped until ``resume``. Optional faults: ``duplicate_rate`` (a
delivered event is posted a second time) and ``out_of_order_rate`` (the next due delivery is
passed over once for the one after it). ``stats()`` holds counters and the recent attempts.

Timestamps come from the emulator clock: a receiver that checks them against its own wall
clock (e.g. Buildium's ±300 s) needs the sandbox clock near real time, or the same clock.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from wonder.sandbox.clock import SandboxClock
from wonder.sandbox.webhooks.policy import BUILDIUM_RETRY, RetryPolicy
from wonder.sandbox.webhooks.signing import Signer

logger = logging.getLogger(__name__)

Outcome = Literal["delivered", "retry", "dropped", "suspended", "duplicate"]


class DeliveryFaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    out_of_order_rate: float = Field(default=0.0, ge=0.0, le=1.0)


@dataclass
class Subscription:
    id: str
    url: str
    signer: Signer
    policy: RetryPolicy
    suspended: bool = False
    consecutive_failures: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "suspended": self.suspended,
            "consecutive_failures": self.consecutive_failures,
        }


@dataclass
class _Delivery:
    id: int
    event: int
    subscription: str
    body: bytes
    due_at: float
    attempts: int = 0


@dataclass(frozen=True)
class Attempt:
    """One POST (or a duplicate of one) and what came of it."""

    delivery: int
    event: int
    subscription: str
    number: int  # 1 = first attempt of the delivery
    at: float  # emulator time, Unix seconds (the signed timestamp is its integer part)
    status: int | None  # HTTP status, None when no answer came
    error: str | None  # why there was no answer (timeout, connection error)
    outcome: Outcome
    next_at: float | None = None  # when the next attempt is due (outcome "retry")

    @property
    def ok(self) -> bool:
        return self.outcome in ("delivered", "duplicate")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class WebhookOutbox:
    def __init__(
        self,
        clock: SandboxClock,
        *,
        seed: int = 0,
        http: httpx.Client | None = None,
        faults: DeliveryFaults | None = None,
        log_size: int = 1_000,
    ) -> None:
        self.clock = clock
        self._seed = seed
        self._own_http = http is None
        self._http = http or httpx.Client(follow_redirects=False)
        self._lock = threading.Lock()
        self._log_size = log_size
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self.faults = faults or DeliveryFaults()
        self._subscriptions: dict[str, Subscription] = {}
        self.reset()

    # ------------------------------------------------------------ setup

    def subscribe(
        self,
        url: str,
        signer: Signer,
        *,
        policy: RetryPolicy = BUILDIUM_RETRY,
        subscription_id: str | None = None,
    ) -> Subscription:
        with self._lock:
            chosen = subscription_id or f"sub-{len(self._subscriptions) + 1}"
            if chosen in self._subscriptions:
                raise ValueError(f"subscription {chosen!r} exists")
            subscription = Subscription(chosen, url, signer, policy)
            self._subscriptions[chosen] = subscription
            return subscription

    def unsubscribe(self, subscription_id: str) -> None:
        with self._lock:
            self._subscriptions.pop(subscription_id, None)
            self._discard_pending(subscription_id)

    def resume(self, subscription_id: str) -> None:
        """Re-enable a suspended subscription (events from now on are delivered again)."""
        with self._lock:
            subscription = self._subscriptions[subscription_id]
            subscription.suspended = False
            subscription.consecutive_failures = 0

    def configure_faults(self, faults: DeliveryFaults) -> None:
        with self._lock:
            self.faults = faults

    def reset(self) -> None:
        """No pending deliveries, an empty log, counters at zero (subscriptions stay)."""
        with self._lock:
            self._rng = random.Random(self._seed ^ 0xB00C)
            self._pending: list[_Delivery] = []
            self._log: deque[Attempt] = deque(maxlen=self._log_size)
            self._next_delivery = 1
            self._next_event = 1
            self._counts = dict.fromkeys(
                ("events", "delivered", "failed_attempts", "dropped", "discarded", "skipped"), 0
            )
            self._counts["duplicates"] = 0
            for subscription in self._subscriptions.values():
                subscription.suspended = False
                subscription.consecutive_failures = 0

    # ------------------------------------------------------------ events

    def enqueue(
        self, payload: bytes | Mapping[str, Any], *, delay_seconds: float = 0.0
    ) -> list[int]:
        """One event for every active subscription; returns the delivery ids (nothing is sent
        until ``pump``). A mapping is serialized once, as compact JSON. ``delay_seconds``: the
        first attempt falls due that much later (a late notification)."""
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
        with self._lock:
            now = self.clock.now_seconds()
            event = self._next_event
            self._next_event += 1
            self._counts["events"] += 1
            ids: list[int] = []
            for subscription in self._subscriptions.values():
                if subscription.suspended:
                    self._counts["skipped"] += 1
                    continue
                delivery = _Delivery(
                    self._next_delivery, event, subscription.id, body, now + delay_seconds
                )
                self._next_delivery += 1
                self._pending.append(delivery)
                ids.append(delivery.id)
            return ids

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def pump(self) -> list[Attempt]:
        """Deliver everything due on the clock now (retries that fall due meanwhile too)."""
        done: list[Attempt] = []
        while True:
            claimed = self._claim()
            if claimed is None:
                return done
            delivery, subscription = claimed
            done.extend(self._attempt(delivery, subscription))

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._log)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                **self._counts,
                "pending": len(self._pending),
                "subscriptions": [s.describe() for s in self._subscriptions.values()],
                "attempts": [attempt.as_dict() for attempt in self._log],
            }

    # ------------------------------------------------------------ worker

    def start(self, poll_seconds: float = 0.2) -> None:
        """Pump from a daemon thread every ``poll_seconds`` until ``stop()``."""
        if self._worker is not None:
            raise RuntimeError("the delivery worker is running")
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.pump()
                except Exception:  # keep delivering; the log says what broke
                    logger.exception("webhook pump failed")
                self._stop.wait(poll_seconds)

        self._worker = threading.Thread(target=run, name="webhook-delivery", daemon=True)
        self._worker.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None

    def close(self) -> None:
        self.stop()
        if self._own_http:
            self._http.close()

    # ------------------------------------------------------------ internals

    def _claim(self) -> tuple[_Delivery, Subscription] | None:
        """Take the next due delivery off the queue (the one after it, for out-of-order)."""
        with self._lock:
            while True:
                now = self.clock.now_seconds()
                due = sorted(
                    (d for d in self._pending if d.due_at <= now), key=lambda d: (d.due_at, d.id)
                )
                if not due:
                    return None
                chosen = due[0]
                rate = self.faults.out_of_order_rate
                if len(due) > 1 and rate and self._rng.random() < rate:
                    chosen = due[1]
                self._pending.remove(chosen)
                subscription = self._subscriptions.get(chosen.subscription)
                if subscription is not None and not subscription.suspended:
                    return chosen, subscription
                # Unsubscribed or suspended while this delivery was in flight.
                self._counts["discarded"] += 1

    def _post(
        self, subscription: Subscription, body: bytes, at: float
    ) -> tuple[int | None, str | None]:
        headers = {
            "content-type": "application/json",
            "user-agent": "wonder-sandbox-webhooks",
            **subscription.signer(body, int(at)),
        }
        try:
            response = self._http.post(
                subscription.url,
                content=body,
                headers=headers,
                timeout=subscription.policy.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            return None, f"timeout ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None

    def _attempt(self, delivery: _Delivery, subscription: Subscription) -> list[Attempt]:
        at = delivery.due_at
        status, error = self._post(subscription, delivery.body, at)
        ok = status is not None and 200 <= status < 300
        with self._lock:
            delivery.attempts += 1
            record = Attempt(
                delivery.id,
                delivery.event,
                subscription.id,
                delivery.attempts,
                at,
                status,
                error,
                "delivered",
            )
            if ok:
                subscription.consecutive_failures = 0
                self._counts["delivered"] += 1
                rate = self.faults.duplicate_rate
                duplicate = bool(rate) and self._rng.random() < rate
            else:
                record = self._failed(delivery, subscription, record)
                duplicate = False
            self._log.append(record)
        attempts = [record]
        if duplicate:
            attempts.append(self._duplicate(delivery, subscription, at))
        return attempts

    def _failed(self, delivery: _Delivery, subscription: Subscription, record: Attempt) -> Attempt:
        """Count the failure, reschedule or drop, maybe suspend (under the lock)."""
        self._counts["failed_attempts"] += 1
        subscription.consecutive_failures += 1
        policy = subscription.policy
        limit = policy.suspend_after_failures
        if limit is not None and subscription.consecutive_failures >= limit:
            self._counts["discarded"] += 1  # this delivery goes with the subscription
            return self._suspend(subscription, record)
        if delivery.attempts <= len(policy.delays_seconds):
            delivery.due_at = record.at + policy.delays_seconds[delivery.attempts - 1]
            self._pending.append(delivery)
            return replace(record, outcome="retry", next_at=delivery.due_at)
        self._counts["dropped"] += 1
        if policy.suspend_when_exhausted:
            return self._suspend(subscription, record)
        return replace(record, outcome="dropped")

    def _suspend(self, subscription: Subscription, record: Attempt) -> Attempt:
        subscription.suspended = True
        self._discard_pending(subscription.id)
        logger.info("webhook subscription %s suspended", subscription.id)
        return replace(record, outcome="suspended")

    def _discard_pending(self, subscription_id: str) -> None:
        kept = [d for d in self._pending if d.subscription != subscription_id]
        self._counts["discarded"] += len(self._pending) - len(kept)
        self._pending = kept

    def _duplicate(self, delivery: _Delivery, subscription: Subscription, at: float) -> Attempt:
        status, error = self._post(subscription, delivery.body, at)
        record = Attempt(
            delivery.id,
            delivery.event,
            subscription.id,
            delivery.attempts,
            at,
            status,
            error,
            "duplicate",
        )
        with self._lock:
            self._counts["duplicates"] += 1
            self._log.append(record)
        return record
