"""The rate-governor port: every client asks it before each request.

``acquire(cost)`` blocks until ``cost`` units of the account's budget are free (or raises
``RateLimited`` when that wait would be too long); ``pending(cost)`` says how long that would be
now, without taking anything; ``observe(headers)`` hands it the headers of each answer, for
governors that pace from the server's quota headers (Trestle's ``QuotaPacer``). Costs are the
service's units: 1 per request for Buildium and Trestle, Gmail's per-method quota units (5 for
``messages.get``).

Implementations here are in-process; ``flows/governor.py`` adapts Prefect's global rate limits,
so flow runs on several workers share one account's budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from wonder.clients.errors import RateLimited

__all__ = ["AllOf", "RateGovernor", "TokenBucket"]


class RateGovernor(Protocol):
    def acquire(self, cost: float = 1) -> None:
        """Wait until ``cost`` units may be spent and spend them; ``RateLimited`` instead of a
        wait longer than the governor allows."""
        ...

    def pending(self, cost: float = 1) -> float:
        """Seconds ``acquire(cost)`` would wait now (0 when unknown); takes nothing."""
        ...

    def observe(self, headers: Mapping[str, str]) -> None:
        """The headers of the answer to the request last admitted (quota headers, if any)."""
        ...


class TokenBucket:
    """A thread-safe token bucket: ``rate`` units per second, up to ``burst`` saved up.

    ``TokenBucket(10)`` is Buildium's 10 requests/s per account; ``TokenBucket(250)`` with
    ``acquire(5)`` per ``messages.get`` is Gmail's 250 units/s per mailbox. A caller reserves its
    units under the lock (the level may go negative) and sleeps outside it, so waiters are served
    in arrival order and never overspend. ``max_wait_seconds`` turns a longer wait into
    ``RateLimited`` (nothing reserved).
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float | None = None,
        name: str = "rate limit",
    ) -> None:
        if rate <= 0:
            raise ValueError(f"TokenBucket rate must be > 0, got {rate}")
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else rate)
        if self.burst <= 0:
            raise ValueError(f"TokenBucket burst must be > 0, got {self.burst}")
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait_seconds
        self._name = name
        self._lock = threading.Lock()
        self._level = self.burst
        self._updated = clock()
        self.waited_seconds = 0.0

    def acquire(self, cost: float = 1) -> None:
        self._check(cost)
        with self._lock:
            wait = self._wait_locked(cost)
            if self._max_wait is not None and wait > self._max_wait:
                raise RateLimited(
                    f"{self._name}: {cost:g} units free in {wait:.1f} s "
                    f"(more than the {self._max_wait:.0f} s allowed)",
                    retry_after=wait,
                )
            self._level -= cost
            self.waited_seconds += wait
        if wait > 0:
            self._sleep(wait)

    def pending(self, cost: float = 1) -> float:
        self._check(cost)
        with self._lock:
            return self._wait_locked(cost)

    def observe(self, headers: Mapping[str, str]) -> None:
        """A token bucket paces by its own count; the answer's headers change nothing."""

    def _wait_locked(self, cost: float) -> float:
        now = self._clock()
        self._level = min(self.burst, self._level + (now - self._updated) * self.rate)
        self._updated = now
        return max(0.0, (cost - self._level) / self.rate)

    def _check(self, cost: float) -> None:
        if cost <= 0 or cost > self.burst:
            raise ValueError(f"cost must be in (0, {self.burst:g}], got {cost:g}")


class AllOf:
    """Several governors in turn: e.g. a client's quota pacer and a limit shared by workers.

    ``acquire`` asks each in order; ``pending`` is the longest wait; ``observe`` tells them all.
    """

    def __init__(self, *governors: RateGovernor) -> None:
        self.governors = governors

    def acquire(self, cost: float = 1) -> None:
        for governor in self.governors:
            governor.acquire(cost)

    def pending(self, cost: float = 1) -> float:
        return max((governor.pending(cost) for governor in self.governors), default=0.0)

    def observe(self, headers: Mapping[str, str]) -> None:
        for governor in self.governors:
            governor.observe(headers)
