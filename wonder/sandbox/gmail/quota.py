"""Per-mailbox quota units on the sandbox clock, and Google's error bodies.

Each mailbox has a bucket of ``units`` that refills evenly over the regime's window (Google
describes the per-user limit as a moving average that allows short bursts). A call whose
cost does not fit is refused and spends nothing.
"""

from __future__ import annotations

import threading
from typing import Any

from wonder.clients.gmail.quota import QuotaRegime
from wonder.sandbox.clock import SandboxClock


class QuotaBuckets:
    def __init__(self, regime: QuotaRegime, clock: SandboxClock) -> None:
        self.regime = regime
        self._clock = clock
        self._lock = threading.Lock()
        self._level: dict[str, tuple[float, float]] = {}  # mailbox → (units, at seconds)
        self.spent: dict[str, int] = {}
        self.refused: dict[str, int] = {}

    def cost(self, method: str) -> int:
        return self.regime.cost(method)

    def take(self, mailbox: str, method: str) -> bool:
        cost = self.cost(method)
        capacity = float(self.regime.units)
        rate = capacity / self.regime.window_seconds
        with self._lock:
            now = self._clock.now_seconds()
            level, at = self._level.get(mailbox, (capacity, now))
            level = min(capacity, level + max(0.0, now - at) * rate)
            if level < cost:
                self._level[mailbox] = (level, now)
                self.refused[mailbox] = self.refused.get(mailbox, 0) + 1
                return False
            self._level[mailbox] = (level - cost, now)
            self.spent[mailbox] = self.spent.get(mailbox, 0) + cost
            return True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "units": self.regime.units,
                "window_seconds": self.regime.window_seconds,
                "spent": dict(self.spent),
                "refused": dict(self.refused),
            }


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_DOMAINS = {
    "rateLimitExceeded": "usageLimits",
    "userRateLimitExceeded": "usageLimits",
    "authError": "global",
    "notFound": "global",
    "invalidArgument": "global",
    "badRequest": "global",
    "backendError": "global",
}


def google_error(code: int, message: str, reason: str) -> dict[str, Any]:
    """Google's JSON error body (``{"error": {code, message, errors: [...], status}}``)."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [
                {"message": message, "domain": _DOMAINS.get(reason, "global"), "reason": reason}
            ],
            "status": _STATUS_NAMES.get(code, "UNKNOWN"),
        }
    }
