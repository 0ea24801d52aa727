import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from wonder.clients.errors import AuthError, PermanentError, RateLimited, TransientError
from wonder.clients.retry import BackoffPolicy, RetryableError, RetryLoop, parse_retry_after


def test_backoff_grows_exponentially_within_jitter_bounds_and_caps():
    policy = BackoffPolicy(base_seconds=0.5, max_seconds=4.0, max_retries=6)
    rng = random.Random(7)
    for attempt, step in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0), (5000, 4.0)]:
        for _ in range(20):
            delay = policy.delay(attempt, rng)
            assert step / 2 <= delay <= step


def test_parse_retry_after_seconds_and_http_date():
    now = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_retry_after(None, now=now) is None
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("-3", now=now) == 0.0
    assert parse_retry_after("Sat, 31 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon", now=now) is None


# -- the retry loop --------------------------------------------------------------------------

WALL = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FixedGovernor:
    def __init__(self, wait: float) -> None:
        self.wait = wait

    def acquire(self, cost: float = 1) -> None: ...

    def pending(self, cost: float = 1) -> float:
        return self.wait

    def observe(self, headers: Mapping[str, str]) -> None: ...


def make_loop(sleeps: Sleeps, *, max_retries: int = 3, seed: int = 5, **kw: Any) -> RetryLoop:
    return RetryLoop(
        service="Svc",
        backoff=BackoffPolicy(base_seconds=1.0, max_seconds=8.0, max_retries=max_retries),
        sleep=sleeps,
        wall_clock=WALL.timestamp,
        rng=random.Random(seed),
        **kw,
    )


class Failing:
    """An attempt that raises ``failures`` in turn, then returns ``result``; counts calls."""

    def __init__(self, *failures: BaseException, result: str = "ok") -> None:
        self.queue = list(failures)
        self.result = result
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.queue:
            raise self.queue.pop(0)
        return self.result


def test_loop_sleeps_the_backoff_delays_between_attempts():
    sleeps = Sleeps()
    attempt = Failing(RetryableError("503"), RetryableError("503"), RetryableError("503"))
    assert make_loop(sleeps, seed=5).call(attempt) == "ok"
    assert attempt.calls == 4
    policy, rng = BackoffPolicy(1.0, 8.0, 3), random.Random(5)
    assert sleeps == [policy.delay(n, rng) for n in range(3)]
    assert [0.5 <= sleeps[0] <= 1, 1 <= sleeps[1] <= 2, 2 <= sleeps[2] <= 4] == [True] * 3


def test_loop_honours_retry_after_instead_of_the_backoff():
    sleeps = Sleeps()
    attempt = Failing(RetryableError("429", rate_limited=True, retry_after=7.0))
    assert make_loop(sleeps).call(attempt) == "ok"
    assert sleeps == [7.0]


def test_retry_after_beyond_the_maximum_raises_rate_limited_at_once():
    sleeps = Sleeps()
    attempt = Failing(RetryableError("429 on GET /x", rate_limited=True, retry_after=900.0))
    with pytest.raises(RateLimited, match="asked to wait 900 s: 429 on GET /x") as info:
        make_loop(sleeps, max_wait_seconds=120.0).call(attempt)
    assert info.value.retry_after == 900.0
    assert attempt.calls == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (RetryableError("503 on GET /x"), TransientError),
        (RetryableError("429 on GET /x", rate_limited=True), RateLimited),
        (ConnectionResetError("peer"), TransientError),
    ],
    ids=["transient", "rate", "retry_on"],
)
def test_loop_gives_up_after_max_retries_with_the_right_error(failure, error):
    sleeps = Sleeps()
    attempt = Failing(*[failure] * 10)
    with pytest.raises(error) as info:
        make_loop(sleeps, retry_on=(ConnectionError,)).call(attempt)
    assert attempt.calls == 4
    assert len(sleeps) == 3
    assert str(info.value).startswith("Svc gave up after 4 attempts: ")
    assert info.value.__cause__ is failure


def test_rate_limited_give_up_hints_the_governor_wait_and_skips_the_backoff():
    sleeps = Sleeps()
    attempt = Failing(*[RetryableError("429", rate_limited=True)] * 10)
    with pytest.raises(RateLimited) as info:
        make_loop(sleeps, governor=FixedGovernor(42.0)).call(attempt)
    assert info.value.retry_after == 42.0
    assert sleeps == []  # the governor's acquire does the waiting, not the loop


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("404 on GET /x", status=404),
        AuthError("bad secret"),
        KeyError("a bug"),
        ConnectionError("not in retry_on"),
    ],
    ids=["permanent", "auth", "bug", "not-listed"],
)
def test_non_retryable_errors_go_straight_through(error):
    sleeps = Sleeps()
    attempt = Failing(error)
    with pytest.raises(type(error)) as info:
        make_loop(sleeps).call(attempt)
    assert info.value is error
    assert attempt.calls == 1
    assert sleeps == []


def test_failure_for_status_classifies_and_reads_retry_after_with_the_wall_clock():
    loop = make_loop(Sleeps())
    rate = loop.failure_for_status(
        429, {"Retry-After": "Sat, 31 Jan 2026 12:00:30 GMT"}, where="GET /x"
    )
    assert rate is not None
    assert (rate.rate_limited, rate.retry_after, rate.reason) == (True, 30.0, "429 on GET /x")
    for status in (500, 502, 503, 504):
        failure = loop.failure_for_status(status, {}, where="GET /x", detail="boom")
        assert failure is not None
        assert (failure.rate_limited, failure.reason) == (False, f"{status} on GET /x (boom)")
    for status in (400, 401, 403, 404, 409, 422):
        assert loop.failure_for_status(status, {}, where="GET /x") is None
