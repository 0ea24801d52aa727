"""Retry schedules: when a failed delivery is tried again, and when a subscription stops.

Buildium (API-FACTS): answer 2xx within 10 s; retries after 1 min, 10 min, 1 h, then the event
is dropped; 20 consecutive failures suspend the subscription.
Airtable (API-FACTS): answer within 25 s; failed pings are retried ~13 times over a day, then
notifications are disabled. The exact Airtable delays are not documented (*unverified*): the
default below is 13 growing delays adding up to ~23 hours, and it is a setting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wonder.sandbox.profiles import SpeedProfile


@dataclass(frozen=True)
class RetryPolicy:
    # delays_seconds[k] = wait after the (k+1)-th failed attempt of a delivery, on the emulator
    # clock; when they run out the delivery is dropped.
    delays_seconds: tuple[float, ...]
    # Real seconds the receiver has to answer (a slower answer is a failure).
    timeout_seconds: float
    # Suspend the subscription after this many failed attempts in a row (None: never).
    suspend_after_failures: int | None = None
    # Suspend the subscription when a delivery exhausts its schedule.
    suspend_when_exhausted: bool = False

    def scaled(self, profile: SpeedProfile) -> RetryPolicy:
        """The schedule under a speed profile (waits shorter; the answer timeout unchanged)."""
        return replace(self, delays_seconds=tuple(profile.duration(d) for d in self.delays_seconds))


BUILDIUM_RETRY = RetryPolicy(
    delays_seconds=(60.0, 600.0, 3_600.0),
    timeout_seconds=10.0,
    suspend_after_failures=20,
)
# 13 retries, ~23 hours in all (unverified).
AIRTABLE_RETRY_DELAYS: tuple[float, ...] = (
    *(30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1_920.0),
    *(3_600.0, 7_200.0, 10_800.0, 14_400.0, 21_600.0, 21_600.0),
)
AIRTABLE_RETRY = RetryPolicy(
    delays_seconds=AIRTABLE_RETRY_DELAYS,
    timeout_seconds=25.0,
    suspend_when_exhausted=True,
)
