"""A ``RateGovernor`` over a Prefect global rate limit, shared by every flow run and worker.

Prefect's global concurrency limits with slot decay are rate limits: ``rate_limit(name,
occupy=n)`` blocks until ``n`` slots are free and never gives them back (they decay at
``slot_decay_per_second``). One limit per external account keeps all runs inside its budget,
e.g. Buildium's 10 requests/s::

    prefect gcl create buildium-account --limit 1 --slot-decay-per-second 9.5

(one slot freed every 0.105 s, so no one-second window holds more than 10 grants; ``--limit
10`` would allow bursts of 20). One worker gets 0.38 to 0.76 of the 10/s through it on this machine
(``python -m bench.prefect_pacing``): a request asked for just after the previous grant is
refused with a jittered Retry-After, and each grant is a round trip to the Prefect server.

Taken with ``strict=True`` by default: a missing limit raises instead of silently letting every
request through. The clients in ``wonder/`` only see the port (``wonder.clients.governor``);
only this module imports Prefect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from prefect.concurrency.sync import rate_limit

from wonder.clients.errors import RateLimited
from wonder.settings import BuildiumSettings

__all__ = ["PrefectRateGovernor", "buildium_governor"]


class PrefectRateGovernor:
    """``acquire(cost)`` occupies ``ceil(cost)`` slots of the Prefect limit ``name``.

    ``timeout_seconds`` bounds the wait (``None``: wait as long as it takes); a timeout becomes
    ``RateLimited``. Prefect does not say how long a wait would be, so ``pending`` is 0 and
    the answers' headers are ignored: combine it with a client's own pacer through
    ``wonder.clients.governor.AllOf`` (the Trestle client does so with its ``governor``).
    """

    def __init__(
        self, name: str, *, timeout_seconds: float | None = None, strict: bool = True
    ) -> None:
        if not name:
            raise ValueError("PrefectRateGovernor needs the name of a global concurrency limit")
        self.name = name
        self.timeout_seconds = timeout_seconds
        self.strict = strict

    def __repr__(self) -> str:
        return f"PrefectRateGovernor({self.name!r}, timeout_seconds={self.timeout_seconds})"

    def acquire(self, cost: float = 1) -> None:
        if cost <= 0:
            raise ValueError(f"cost must be > 0, got {cost:g}")
        try:
            rate_limit(
                self.name,
                occupy=math.ceil(cost),
                timeout_seconds=self.timeout_seconds,
                strict=self.strict,
            )
        except TimeoutError as exc:
            raise RateLimited(
                f"no {math.ceil(cost)} slot(s) of the Prefect rate limit {self.name!r} "
                f"within {self.timeout_seconds} s"
            ) from exc

    def pending(self, cost: float = 1) -> float:
        return 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Prefect counts slots, not answers: nothing to learn from the headers."""


def buildium_governor(
    settings: BuildiumSettings, *, timeout_seconds: float | None = None
) -> PrefectRateGovernor:
    """The Buildium account's shared limit (``settings.rate_limit_name``), taken strictly: pass
    it as ``BuildiumClient(..., governor=...)`` in every flow that talks to the account."""
    return PrefectRateGovernor(settings.rate_limit_name, timeout_seconds=timeout_seconds)
