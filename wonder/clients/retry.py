"""The one retry layer every client uses: tenacity driven by injected sleep, clock and jitter.

An attempt signals "a retry may help" by raising :class:`RetryableError` (or one of the
``retry_on`` exception types, e.g. a transport error); anything else (``AuthError``,
``PermanentError``, a bug) goes straight through. Between attempts the loop waits

1. the server's ``Retry-After`` when the failure carries one (longer than ``max_wait_seconds``:
   ``RateLimited`` at once, never a long sleep);
2. nothing, for a 429 the governor already knows about (it will hold the next ``acquire``);
3. otherwise exponential backoff with jitter (:class:`BackoffPolicy`).

After ``max_retries`` retries it raises ``RateLimited`` (the last failure was a 429) or
``TransientError``, with the last failure as the cause.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception

from wonder.clients.errors import RateLimited, TransientError
from wonder.clients.governor import RateGovernor

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Statuses worth another try: the service or a proxy failed, or the query timed out.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
# 2**30 times any sensible base is far above any cap; keeps the float math finite.
_MAX_EXPONENT = 30

__all__ = [
    "RETRYABLE_STATUSES",
    "BackoffPolicy",
    "RetryLoop",
    "RetryableError",
    "parse_retry_after",
]


class RetryableError(Exception):
    """An attempt failed in a way another attempt may fix. Never escapes :class:`RetryLoop`."""

    def __init__(
        self, reason: str, *, rate_limited: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rate_limited = rate_limited
        self.retry_after = retry_after


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


class RetryLoop:
    """Runs attempts with retries for one client (``service`` names it in messages and logs).

    ``sleep`` and ``wall_clock`` (for ``Retry-After`` dates) are injected, so tests never sleep;
    ``rng`` drives the jitter only. ``governor`` is asked how long its next ``acquire`` would
    wait, so a 429 it has already seen is not waited out twice. Stateless between calls and
    safe to share between threads if ``sleep`` and ``rng`` are.
    """

    def __init__(
        self,
        *,
        service: str,
        backoff: BackoffPolicy,
        max_wait_seconds: float = float("inf"),
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        governor: RateGovernor | None = None,
        retry_on: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.service = service
        self.backoff = backoff
        self.max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()  # jitter only, not security
        self._governor = governor
        self._retry_on = retry_on

    # -- classification ----------------------------------------------------------------------

    def failure_for_status(
        self, status: int, headers: Mapping[str, str], *, where: str, detail: str = ""
    ) -> RetryableError | None:
        """The retryable failure an HTTP status means (429, 500/502/503/504), else ``None``."""
        if status == 429:
            retry_after = parse_retry_after(headers.get("Retry-After"), now=self.wall_now())
            return RetryableError(f"429 on {where}", rate_limited=True, retry_after=retry_after)
        if status in RETRYABLE_STATUSES:
            suffix = f" ({detail})" if detail else ""
            return RetryableError(f"{status} on {where}{suffix}")
        return None

    def wall_now(self) -> datetime:
        return datetime.fromtimestamp(self._wall_clock(), tz=UTC)

    # -- the loop ----------------------------------------------------------------------------

    def call(self, attempt: Callable[[], T]) -> T:
        """``attempt()`` until it returns, raises a non-retryable error, or the retries run out."""
        retrying = Retrying(
            sleep=self._nap,
            retry=retry_if_exception(self._is_retryable),
            wait=self._wait,
            stop=self._stop,
            before_sleep=self._log_retry,
            reraise=False,
        )
        try:
            return retrying(attempt)
        except RetryError as error:
            last = error.last_attempt
            failure = last.exception()
            assert failure is not None
            raise self._give_up(last.attempt_number, failure) from failure

    def _is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, (RetryableError, *self._retry_on))

    def _failure(self, state: RetryCallState) -> RetryableError:
        assert state.outcome is not None
        error = state.outcome.exception()
        if isinstance(error, RetryableError):
            return error
        return RetryableError(type(error).__name__)

    def _wait(self, state: RetryCallState) -> float:
        # Side-effect free apart from the jitter: tenacity also calls it before stopping.
        failure = self._failure(state)
        if failure.retry_after is not None:
            return failure.retry_after
        if failure.rate_limited and self._governor_wait() > 0:
            return 0.0  # the governor saw the quota headers of the 429: its acquire waits
        return self.backoff.delay(state.attempt_number - 1, self._rng)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.backoff.max_retries:
            return True
        retry_after = self._failure(state).retry_after
        return retry_after is not None and retry_after > self.max_wait_seconds

    def _give_up(self, attempts: int, error: BaseException) -> Exception:
        failure = (
            error if isinstance(error, RetryableError) else RetryableError(type(error).__name__)
        )
        if attempts <= self.backoff.max_retries:
            # Stopped early: the server asked for a longer wait than we may sleep.
            wait = failure.retry_after or 0.0
            return RateLimited(
                f"{self.service} asked to wait {wait:.0f} s: {failure.reason}", retry_after=wait
            )
        message = f"{self.service} gave up after {attempts} attempts: {failure.reason}"
        if failure.rate_limited:
            hint = failure.retry_after or self._governor_wait() or None
            return RateLimited(message, retry_after=hint)
        return TransientError(message)

    def _governor_wait(self) -> float:
        return self._governor.pending() if self._governor is not None else 0.0

    def _nap(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(float(seconds))

    def _log_retry(self, state: RetryCallState) -> None:
        logger.debug(
            "%s retry %d in %.2f s: %s",
            self.service,
            state.attempt_number,
            state.upcoming_sleep,
            self._failure(state).reason,
        )
