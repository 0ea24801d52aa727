"""Quota headers → ``QuotaSnapshot``, and the pacer that waits before the quota runs out.

Trestle sends ``Minute-Quota-*`` and ``Hour-Quota-*`` headers on every answer but never says
when the minute window started, so the pacer assumes the latest start consistent with what it
saw: the send time of the first request after the quota was seen to refill (or after a full
window passed). Waiting one window from there is always long enough.

``QuotaPacer`` is the Trestle client's ``RateGovernor`` (``wonder.clients.governor``): ``acquire``
waits as the last quota headers require, ``observe`` reads the headers of each answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from wonder.clients.errors import RateLimited

MINUTE_LIMIT = "Minute-Quota-Limit"
MINUTE_AVAILABLE = "Minute-Quota-Available"
HOUR_LIMIT = "Hour-Quota-Limit"
HOUR_AVAILABLE = "Hour-Quota-Available"
HOUR_RESET = "Hour-Quota-ResetTime"
_QUOTA_HEADERS = (MINUTE_LIMIT, MINUTE_AVAILABLE, HOUR_LIMIT, HOUR_AVAILABLE, HOUR_RESET)


@dataclass(frozen=True)
class QuotaSnapshot:
    """The quota headers of one answer; a missing or malformed header is ``None``."""

    minute_limit: int | None
    minute_available: int | None
    hour_limit: int | None
    hour_available: int | None
    hour_reset_at: datetime | None  # from Hour-Quota-ResetTime (epoch milliseconds)

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> QuotaSnapshot | None:
        """Parse the headers (case-insensitive mapping); ``None`` when none are present."""
        if not any(name in headers for name in _QUOTA_HEADERS):
            return None
        reset_ms = _int_header(headers, HOUR_RESET)
        reset_at = None
        if reset_ms is not None:
            try:
                reset_at = datetime.fromtimestamp(reset_ms / 1000, tz=UTC)
            except (OverflowError, OSError, ValueError):
                reset_at = None
        return cls(
            minute_limit=_int_header(headers, MINUTE_LIMIT),
            minute_available=_int_header(headers, MINUTE_AVAILABLE),
            hour_limit=_int_header(headers, HOUR_LIMIT),
            hour_available=_int_header(headers, HOUR_AVAILABLE),
            hour_reset_at=reset_at,
        )


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class PaceDecision:
    """How long to wait before the next request, and why (for the log)."""

    wait_seconds: float
    reason: str | None = None


def decide(
    snapshot: QuotaSnapshot | None,
    *,
    reserve: int,
    window_started_at: float | None,
    window_seconds: float,
    now: float,
    wall_now: datetime,
) -> PaceDecision:
    """Pure pacing rule: wait for the hour reset if the hour quota is spent, else for the end of
    the minute window if the minute quota is down to ``reserve``; otherwise go."""
    if snapshot is None:
        return PaceDecision(0.0)
    if (
        snapshot.hour_available is not None
        and snapshot.hour_available <= 0
        and snapshot.hour_reset_at is not None
    ):
        wait = (snapshot.hour_reset_at - wall_now).total_seconds()
        if wait > 0:
            return PaceDecision(wait, "hour quota exhausted")
    if (
        snapshot.minute_available is not None
        and snapshot.minute_available <= reserve
        and window_started_at is not None
    ):
        wait = window_started_at + window_seconds - now
        if wait > 0:
            return PaceDecision(wait, "minute quota at reserve")
    return PaceDecision(0.0)


class QuotaPacer:
    """Tracks the latest quota snapshot and the estimated minute window; waits when needed.

    A ``RateGovernor`` for one client (not thread-safe): every Trestle query costs one unit of
    the minute and hour quotas, so ``cost`` is ignored.
    """

    def __init__(
        self,
        *,
        reserve: int,
        max_wait_seconds: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float] = time.time,
        window_seconds: float = 60.0,
    ) -> None:
        self._reserve = reserve
        self._max_wait = max_wait_seconds
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._window_seconds = window_seconds
        self._snapshot: QuotaSnapshot | None = None
        # The latest snapshot minus what a wait has made stale (used for decisions only).
        self._effective: QuotaSnapshot | None = None
        self._window_started_at: float | None = None
        self._last_sent_at: float | None = None
        self.waited_seconds = 0.0

    @property
    def snapshot(self) -> QuotaSnapshot | None:
        return self._snapshot

    # -- the RateGovernor port ---------------------------------------------------------------

    def acquire(self, cost: float = 1) -> None:
        """Wait as the quota requires (or raise ``RateLimited``), then note the request sent."""
        self.before_request()
        self.request_sent(self._clock())

    def pending(self, cost: float = 1) -> float:
        """Seconds the next request would wait now (no side effects)."""
        return self.decision().wait_seconds

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record the quota headers of the answer to the request last admitted by ``acquire``."""
        sent_at = self._last_sent_at if self._last_sent_at is not None else self._clock()
        self.record(QuotaSnapshot.from_headers(headers), sent_at=sent_at)

    # -- the steps ---------------------------------------------------------------------------

    def decision(self) -> PaceDecision:
        """The wait the next request would need now, and why (no side effects)."""
        return decide(
            self._effective,
            reserve=self._reserve,
            window_started_at=self._window_started_at,
            window_seconds=self._window_seconds,
            now=self._clock(),
            wall_now=datetime.fromtimestamp(self._wall_clock(), tz=UTC),
        )

    def before_request(self) -> None:
        """Wait as the quota requires, or raise ``RateLimited`` if that wait is too long."""
        decision = self.decision()
        if decision.wait_seconds <= 0:
            return
        if decision.wait_seconds > self._max_wait:
            raise RateLimited(
                f"Trestle {decision.reason}: next request possible in "
                f"{decision.wait_seconds:.0f} s (more than the {self._max_wait:.0f} s allowed)",
                retry_after=decision.wait_seconds,
            )
        self._sleep(decision.wait_seconds)
        self.waited_seconds += decision.wait_seconds
        # The quota we waited for has refilled: forget the spent counters until the next answer.
        if self._effective is not None:
            self._effective = QuotaSnapshot(
                minute_limit=self._effective.minute_limit,
                minute_available=None,
                hour_limit=self._effective.hour_limit,
                hour_available=(
                    None
                    if decision.reason == "hour quota exhausted"
                    else self._effective.hour_available
                ),
                hour_reset_at=self._effective.hour_reset_at,
            )
        self._window_started_at = None

    def request_sent(self, sent_at: float) -> None:
        """Note a request; it opens a new window estimate if none is open or the last one ended."""
        self._last_sent_at = sent_at
        if (
            self._window_started_at is None
            or sent_at - self._window_started_at >= self._window_seconds
        ):
            self._window_started_at = sent_at

    def record(self, snapshot: QuotaSnapshot | None, *, sent_at: float) -> None:
        """Record the quota headers of the answer to the request sent at ``sent_at``."""
        if snapshot is None:
            return
        previous = self._snapshot
        if (
            previous is not None
            and previous.minute_available is not None
            and snapshot.minute_available is not None
            and snapshot.minute_available > previous.minute_available
        ):
            # The quota refilled before this request was counted: its window began by sent_at.
            self._window_started_at = sent_at
        self._snapshot = snapshot
        self._effective = snapshot
