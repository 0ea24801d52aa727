"""Gmail's per-method quota units (Google's quota table) and the two regimes.

Legacy projects: 250 units per second per mailbox, ``messages.get`` = 5 (50 messages/s).
Projects created from May 2026: 6,000 units per minute per mailbox, ``messages.get`` = 20
(5 messages/s). The client spends these on its governor before every call; the sandbox charges
the same table (one home, so both move together when Google changes it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from wonder.clients.governor import TokenBucket

Regime = Literal["legacy", "current"]

LEGACY_COSTS: dict[str, int] = {
    "getProfile": 1,
    "messages.list": 5,
    "messages.get": 5,
    "messages.attachments.get": 5,
    "messages.modify": 5,
    "labels.list": 1,
    "labels.create": 5,
    "history.list": 2,
    "watch": 100,
    "stop": 50,
}
CURRENT_COSTS: dict[str, int] = {
    **LEGACY_COSTS,
    "messages.get": 20,
    "messages.attachments.get": 20,
}
DEFAULT_COST = 5


@dataclass(frozen=True)
class QuotaRegime:
    """Units a mailbox may spend per window, and what each method costs."""

    name: Regime
    units: int
    window_seconds: float
    costs: dict[str, int]

    @property
    def units_per_second(self) -> float:
        return self.units / self.window_seconds

    def cost(self, method: str) -> int:
        return self.costs.get(method, DEFAULT_COST)


def quota_regime(regime: Regime, scale: int = 1) -> QuotaRegime:
    """The regime's limits (``scale`` multiplies the units: the sandbox's fast profile)."""
    if regime == "legacy":
        return QuotaRegime("legacy", 250 * scale, 1.0, LEGACY_COSTS)
    return QuotaRegime("current", 6_000 * scale, 60.0, CURRENT_COSTS)


# Run this much under the ceiling: our bucket and Google's start and refill at slightly
# different moments (request latency), so pacing at exactly 100% still draws some 429s.
DEFAULT_HEADROOM = 0.95


def mailbox_governor(
    regime: QuotaRegime,
    *,
    headroom: float = DEFAULT_HEADROOM,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenBucket:
    """An in-process governor for one mailbox (under Prefect, flows add the shared limit)."""
    return TokenBucket(
        regime.units_per_second * headroom,
        burst=regime.units * headroom,
        clock=clock,
        sleep=sleep,
        name=f"Gmail quota ({regime.name})",
    )


def max_batch_for(regime: QuotaRegime, burst: float, limit: int = 50) -> int:
    """The largest batch of gets whose units fit in the governor's burst (at most ``limit``)."""
    return max(1, min(limit, int(burst // regime.cost("messages.get"))))
