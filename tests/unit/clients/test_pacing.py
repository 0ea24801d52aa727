from datetime import UTC, datetime, timedelta

import httpx
import pytest

from wonder.clients.errors import RateLimited
from wonder.clients.trestle.pacing import QuotaPacer, QuotaSnapshot, decide

WALL = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def snap(
    minute: int | None = None, hour: int | None = None, reset: datetime | None = None
) -> QuotaSnapshot:
    return QuotaSnapshot(
        minute_limit=180,
        minute_available=minute,
        hour_limit=7200,
        hour_available=hour,
        hour_reset_at=reset,
    )


def test_snapshot_from_headers():
    headers = httpx.Headers(
        {
            "minute-quota-limit": "180",
            "Minute-Quota-Available": "179",
            "Hour-Quota-Limit": "7200",
            "Hour-Quota-Available": "oops",
            "Hour-Quota-ResetTime": str(int(WALL.timestamp() * 1000) + 1500),
        }
    )
    quota = QuotaSnapshot.from_headers(headers)
    assert quota == QuotaSnapshot(
        minute_limit=180,
        minute_available=179,
        hour_limit=7200,
        hour_available=None,
        hour_reset_at=WALL + timedelta(seconds=1.5),
    )


def test_snapshot_absent_without_quota_headers():
    assert QuotaSnapshot.from_headers(httpx.Headers({"Content-Type": "application/json"})) is None


def test_decide_go_when_quota_is_plentiful_or_unknown():
    for quota in (None, snap(minute=3, hour=10), snap()):
        decision = decide(
            quota, reserve=2, window_started_at=0.0, window_seconds=60.0, now=10.0, wall_now=WALL
        )
        assert decision.wait_seconds == 0


def test_decide_waits_for_minute_window_when_at_reserve():
    decision = decide(
        snap(minute=2, hour=100),
        reserve=2,
        window_started_at=100.0,
        window_seconds=60.0,
        now=130.0,
        wall_now=WALL,
    )
    assert decision.wait_seconds == 30.0
    assert decision.reason == "minute quota at reserve"
    # the window is already over: go
    assert (
        decide(
            snap(minute=0),
            reserve=2,
            window_started_at=100.0,
            window_seconds=60.0,
            now=170.0,
            wall_now=WALL,
        ).wait_seconds
        == 0
    )


def test_decide_waits_for_hour_reset_when_exhausted():
    decision = decide(
        snap(minute=50, hour=0, reset=WALL + timedelta(seconds=90)),
        reserve=2,
        window_started_at=None,
        window_seconds=60.0,
        now=0.0,
        wall_now=WALL,
    )
    assert decision.wait_seconds == 90.0
    assert decision.reason == "hour quota exhausted"
    # reset already passed, or unknown: go (a 429 would be retried)
    past = snap(minute=50, hour=0, reset=WALL - timedelta(seconds=1))
    assert (
        decide(
            past, reserve=2, window_started_at=None, window_seconds=60.0, now=0.0, wall_now=WALL
        ).wait_seconds
        == 0
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return WALL.timestamp() + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_pacer(clock: Clock, max_wait: float = 120.0) -> QuotaPacer:
    return QuotaPacer(
        reserve=2, max_wait_seconds=max_wait, clock=clock, sleep=clock.sleep, wall_clock=clock.wall
    )


def test_pacer_waits_one_window_from_first_request_then_goes_on():
    clock = Clock()
    pacer = make_pacer(clock)
    for available in (4, 3, 2):
        pacer.before_request()
        pacer.request_sent(clock.now)
        pacer.record(snap(minute=available), sent_at=clock.now)
        clock.now += 5
    assert clock.sleeps == []
    pacer.before_request()  # minute quota at reserve: wait until 60 s after the first request
    assert clock.sleeps == [45.0]
    pacer.request_sent(clock.now)
    pacer.record(snap(minute=179), sent_at=clock.now)
    pacer.before_request()
    assert clock.sleeps == [45.0]


def test_pacer_moves_window_start_when_quota_refills():
    clock = Clock()
    pacer = make_pacer(clock)
    pacer.request_sent(clock.now)
    pacer.record(snap(minute=10), sent_at=clock.now)
    clock.now += 50
    pacer.request_sent(clock.now)  # refilled: this window began by now at the latest
    pacer.record(snap(minute=179), sent_at=clock.now)
    pacer.record(snap(minute=1), sent_at=clock.now)
    clock.now += 10
    pacer.before_request()
    assert clock.sleeps == [50.0]


def test_pacer_sleeps_until_hour_reset_within_maximum():
    clock = Clock()
    pacer = make_pacer(clock)
    reset = datetime.fromtimestamp(clock.wall(), tz=UTC) + timedelta(seconds=100)
    pacer.record(snap(minute=100, hour=0, reset=reset), sent_at=clock.now)
    pacer.before_request()
    assert clock.sleeps == [100.0]
    assert pacer.waited_seconds == 100.0
    pacer.before_request()  # the spent counter is forgotten after the wait
    assert clock.sleeps == [100.0]


def test_pacer_raises_rate_limited_instead_of_sleeping_an_hour():
    clock = Clock()
    pacer = make_pacer(clock, max_wait=120.0)
    reset = datetime.fromtimestamp(clock.wall(), tz=UTC) + timedelta(minutes=40)
    pacer.record(snap(minute=100, hour=0, reset=reset), sent_at=clock.now)
    with pytest.raises(RateLimited) as info:
        pacer.before_request()
    assert info.value.retry_after == 2400.0
    assert clock.sleeps == []
