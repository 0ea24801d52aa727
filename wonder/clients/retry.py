"""The backoff policy of the one retry layer: exponential, capped, with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

# 2**30 times any sensible base is far above any cap; keeps the float math finite.
_MAX_EXPONENT = 30


@dataclass(frozen=True)
class BackoffPolicy:
    base_seconds: float
    max_seconds: float
    max_retries: int

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Wait before retry number ``attempt + 1``: half the capped exponential step is fixed,
        the other half random, so concurrent clients spread out but never hammer."""
        step: float = min(self.max_seconds, self.base_seconds * 2.0 ** min(attempt, _MAX_EXPONENT))
        return step / 2 + rng.uniform(0, step / 2)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), if valid."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
