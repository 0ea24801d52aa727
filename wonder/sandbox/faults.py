"""Seeded fault injection shared by the emulators.

Every emulator has the same base knobs (``FaultSettings``): 5xx errors, latency, dropped
connections, truncated bodies and forced 429 bursts. An emulator with faults of its own
subclasses the settings (Trestle adds empty media expansions) and draws them with
``FaultInjector.chance``, so every draw comes from one seeded generator and is counted.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_ERROR_STATUSES = (500, 503, 504)


class FaultSettings(BaseModel):
    """The faults every emulator can inject (all off by default). Unknown names are refused."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    truncate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # The next this-many data requests are answered 429 (then requests are normal again).
    burst_429: int = Field(default=0, ge=0)


class FaultKind(Enum):
    NONE = "none"
    DROP = "drop"
    ERROR = "error"
    TOO_MANY = "burst_429"


@dataclass(frozen=True)
class FaultDecision:
    kind: FaultKind
    latency_seconds: float
    error_status: int = 0
    truncate: bool = False


S = TypeVar("S", bound=FaultSettings)


class FaultInjector(Generic[S]):
    """Draws one decision per request from a seeded generator (thread-safe).

    ``injected`` counts what was injected, by name (``drop``, ``burst_429``, ``error_503``,
    ``truncate`` and the names given to ``chance``).
    """

    def __init__(
        self,
        settings: S,
        seed: int,
        *,
        error_statuses: Sequence[int] = DEFAULT_ERROR_STATUSES,
    ) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed ^ 0x5EED)
        self._error_statuses = tuple(error_statuses)
        self.settings = settings
        self._burst_left = settings.burst_429
        self.injected: dict[str, int] = {}

    def configure(self, settings: S) -> None:
        with self._lock:
            self.settings = settings
            self._burst_left = settings.burst_429

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.injected)

    def clear_counts(self) -> None:
        with self._lock:
            self.injected.clear()

    def _count(self, name: str) -> None:
        self.injected[name] = self.injected.get(name, 0) + 1

    def decide(self, *, data_request: bool = True) -> FaultDecision:
        """One request's fate. 429 bursts and truncation hit only data requests (the ones the
        emulator's rate limit counts); auth and service endpoints see drops, latency, errors."""
        with self._lock:
            settings = self.settings
            latency = settings.latency_ms / 1000
            if settings.drop_rate and self._rng.random() < settings.drop_rate:
                self._count("drop")
                return FaultDecision(FaultKind.DROP, latency)
            if data_request and self._burst_left > 0:
                self._burst_left -= 1
                self._count("burst_429")
                return FaultDecision(FaultKind.TOO_MANY, latency)
            if settings.error_rate and self._rng.random() < settings.error_rate:
                status = self._rng.choice(self._error_statuses)
                self._count(f"error_{status}")
                return FaultDecision(FaultKind.ERROR, latency, error_status=status)
            truncate = (
                data_request
                and bool(settings.truncate_rate)
                and self._rng.random() < settings.truncate_rate
            )
            if truncate:
                self._count("truncate")
            return FaultDecision(FaultKind.NONE, latency, truncate=truncate)

    def chance(self, name: str, rate: float) -> bool:
        """An emulator-specific fault with probability ``rate``, counted under ``name``."""
        with self._lock:
            hit = bool(rate) and self._rng.random() < rate
            if hit:
                self._count(name)
            return hit
