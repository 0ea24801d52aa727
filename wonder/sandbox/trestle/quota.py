"""Per-connection (client_id) quota in a minute and an hour window, on the sandbox clock: one
tracker for queries, another for media downloads (each its own limits)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from wonder.sandbox.clock import MICROS, SandboxClock

MINUTE = 60 * MICROS
HOUR = 3_600 * MICROS


@dataclass
class _Window:
    length: int
    limit: int
    start: int = -1
    used: int = 0

    def roll(self, now: int) -> None:
        if self.start < 0 or now >= self.start + self.length:
            self.start = now
            self.used = 0

    @property
    def available(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def reset_at(self) -> int:
        return self.start + self.length


@dataclass(frozen=True)
class QuotaDecision:
    allowed: bool
    headers: dict[str, str]


class QuotaTracker:
    def __init__(self, minute_limit: int, hour_limit: int, clock: SandboxClock) -> None:
        self.minute_limit = minute_limit
        self.hour_limit = hour_limit
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[_Window, _Window]] = {}
        self.used_total: dict[str, int] = {}

    def _for(self, client_id: str) -> tuple[_Window, _Window]:
        windows = self._windows.get(client_id)
        if windows is None:
            windows = (_Window(MINUTE, self.minute_limit), _Window(HOUR, self.hour_limit))
            self._windows[client_id] = windows
        return windows

    def consume(self, client_id: str) -> QuotaDecision:
        """Count one query if both windows have room; headers describe the state after it."""
        with self._lock:
            now = self._clock.now_micros()
            minute, hour = self._for(client_id)
            minute.roll(now)
            hour.roll(now)
            allowed = minute.available > 0 and hour.available > 0
            if allowed:
                minute.used += 1
                hour.used += 1
                self.used_total[client_id] = self.used_total.get(client_id, 0) + 1
            return QuotaDecision(allowed, self._headers(minute, hour))

    def peek(self, client_id: str) -> dict[str, str]:
        with self._lock:
            now = self._clock.now_micros()
            minute, hour = self._for(client_id)
            minute.roll(now)
            hour.roll(now)
            return self._headers(minute, hour)

    def unused_headers(self) -> dict[str, str]:
        """The headers of a connection that has used nothing yet (for an answer that names no
        connection: the service document without a token, a 401 for an unknown token)."""
        now = self._clock.now_micros()
        return self._headers(
            _Window(MINUTE, self.minute_limit, now), _Window(HOUR, self.hour_limit, now)
        )

    @staticmethod
    def _headers(minute: _Window, hour: _Window) -> dict[str, str]:
        return {
            "Minute-Quota-Limit": str(minute.limit),
            "Minute-Quota-Available": str(minute.available),
            "Hour-Quota-Limit": str(hour.limit),
            "Hour-Quota-Available": str(hour.available),
            "Hour-Quota-ResetTime": str(hour.reset_at // 1_000),
        }

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                client: {
                    "minute_used": minute.used,
                    "hour_used": hour.used,
                    "total_used": self.used_total.get(client, 0),
                }
                for client, (minute, hour) in self._windows.items()
            }

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
            self.used_total.clear()
