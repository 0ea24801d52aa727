"""Buildium's rate limit (N requests per second per account, whole seconds of the sandbox
clock; over it a 429 with no rate headers) and the per-second request log that proves what a
client did: for each account and second, the requests admitted and the ones refused."""

from __future__ import annotations

import threading
from collections import OrderedDict

from wonder.sandbox.clock import MICROS, SandboxClock

LOG_SECONDS = 3_600  # seconds of log kept per account


class RateLimiter:
    def __init__(self, per_second: int, clock: SandboxClock) -> None:
        self.per_second = per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._log: dict[int, OrderedDict[int, list[int]]] = {}

    def admit(self, account_id: int) -> bool:
        second = self._clock.now_micros() // MICROS
        with self._lock:
            log = self._log.setdefault(account_id, OrderedDict())
            counts = log.get(second)
            if counts is None:
                counts = log[second] = [0, 0]
                while len(log) > LOG_SECONDS:
                    log.popitem(last=False)
            allowed = counts[0] < self.per_second
            counts[0 if allowed else 1] += 1
            return allowed

    def log(self) -> dict[str, list[dict[str, int]]]:
        """``{account_id: [{"second", "admitted", "refused"}, ...]}`` oldest first."""
        with self._lock:
            return {
                str(account): [
                    {"second": second, "admitted": counts[0], "refused": counts[1]}
                    for second, counts in log.items()
                ]
                for account, log in self._log.items()
            }

    def peak(self, account_id: int) -> int:
        with self._lock:
            log = self._log.get(account_id, OrderedDict())
            return max((counts[0] for counts in log.values()), default=0)

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
