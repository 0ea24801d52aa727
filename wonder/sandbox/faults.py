"""Seeded fault injection shared by the emulators: errors, latency, dropped connections,
truncated bodies, forced 429 bursts, and (Trestle) empty media expansions."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum

from pydantic import BaseModel, Field


class FaultSettings(BaseModel):
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    truncate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    burst_429: int = Field(default=0, ge=0)
    empty_expand_rate: float = Field(default=0.0, ge=0.0, le=1.0)


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


ERROR_STATUSES = (500, 503, 504)


class FaultInjector:
    """Draws one decision per request from a seeded generator (thread-safe)."""

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed ^ 0x5EED)
        self.settings = settings
        self._burst_left = settings.burst_429
        self.injected: dict[str, int] = {}

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self._burst_left = settings.burst_429

    def _count(self, name: str) -> None:
        self.injected[name] = self.injected.get(name, 0) + 1

    def decide(self, *, odata: bool = True) -> FaultDecision:
        """One request's fate; 429 bursts and truncation only hit OData (``odata``) requests."""
        with self._lock:
            settings = self.settings
            latency = settings.latency_ms / 1000
            if settings.drop_rate and self._rng.random() < settings.drop_rate:
                self._count("drop")
                return FaultDecision(FaultKind.DROP, latency)
            if odata and self._burst_left > 0:
                self._burst_left -= 1
                self._count("burst_429")
                return FaultDecision(FaultKind.TOO_MANY, latency)
            if settings.error_rate and self._rng.random() < settings.error_rate:
                status = self._rng.choice(ERROR_STATUSES)
                self._count(f"error_{status}")
                return FaultDecision(FaultKind.ERROR, latency, error_status=status)
            truncate = (
                odata
                and bool(settings.truncate_rate)
                and self._rng.random() < settings.truncate_rate
            )
            if truncate:
                self._count("truncate")
            return FaultDecision(FaultKind.NONE, latency, truncate=truncate)

    def empty_expand(self) -> bool:
        with self._lock:
            rate = self.settings.empty_expand_rate
            hit = bool(rate) and self._rng.random() < rate
            if hit:
                self._count("empty_expand")
            return hit
