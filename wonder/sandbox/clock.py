"""The sandbox clock: real time plus an offset that ``advance`` moves forward.

Timestamps are integers of epoch microseconds so comparisons in filters and indexes stay cheap.
A frozen clock (tests) only moves when told to. Every emulator, and the webhook outbox, runs on
one of these, so ``advance`` moves data changes, quota windows and retry schedules together.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

MICROS = 1_000_000


def to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def from_micros(value: int) -> datetime:
    return datetime.fromtimestamp(value // MICROS, tz=UTC).replace(microsecond=value % MICROS)


class SandboxClock:
    """``now()`` = wall clock + offset (or a frozen instant); thread-safe."""

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        real = self._real_micros()
        start_micros = to_micros(start) if start is not None else real
        self._offset = start_micros - real
        self._frozen_at = start_micros

    @staticmethod
    def _real_micros() -> int:
        return time.time_ns() // 1000

    def now_micros(self) -> int:
        with self._lock:
            if self._frozen:
                return self._frozen_at
            return self._real_micros() + self._offset

    def now(self) -> datetime:
        return from_micros(self.now_micros())

    def now_seconds(self) -> float:
        return self.now_micros() / MICROS

    def advance(self, seconds: float) -> int:
        """Move the clock forward; returns the new now in microseconds."""
        step = int(seconds * MICROS)
        with self._lock:
            self._offset += step
            self._frozen_at += step
        return self.now_micros()
