"""The in-process rate governors, on a fake clock (nothing really sleeps)."""

import itertools
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from wonder.clients.errors import RateLimited
from wonder.clients.governor import AllOf, RateGovernor, TokenBucket
from wonder.clients.trestle.pacing import QuotaPacer


class Clock:
    """A monotonic clock that moves only when someone sleeps (or the test says so)."""

    def __init__(self, *, advance: bool = True) -> None:
        self.now = 100.0
        self.advance = advance
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self.advance:
                self.now += seconds


def bucket(clock: Clock, rate: float, **kw: Any) -> TokenBucket:
    return TokenBucket(rate, clock=clock, sleep=clock.sleep, **kw)


def test_a_burst_goes_at_once_then_the_steady_rate_holds():
    clock = Clock()
    governor = bucket(clock, 10)  # Buildium: 10 requests/s, burst 10
    sent_at = []
    for _ in range(25):
        governor.acquire()
        sent_at.append(clock.now)
    assert sent_at[:10] == [100.0] * 10
    assert clock.sleeps[0] == pytest.approx(0.1)
    gaps = [b - a for a, b in itertools.pairwise(sent_at[10:])]
    assert gaps == pytest.approx([0.1] * 14)
    assert sent_at[-1] == pytest.approx(101.5)  # 25 requests: 10 at once, 15 at 10/s
    assert governor.waited_seconds == pytest.approx(1.5)


def test_an_idle_bucket_refills_up_to_the_burst_only():
    clock = Clock()
    governor = bucket(clock, 10, burst=5)
    for _ in range(5):
        governor.acquire()
    clock.now += 60  # a long pause saves up at most `burst`
    for _ in range(5):
        governor.acquire()
    assert clock.sleeps == []
    governor.acquire()
    assert clock.sleeps == [pytest.approx(0.1)]


def test_costs_above_one_spend_units():
    clock = Clock()
    governor = bucket(clock, 250)  # Gmail: 250 units/s; messages.get costs 5
    for _ in range(50):
        governor.acquire(5)
    assert clock.sleeps == []
    assert governor.pending(5) == pytest.approx(0.02)
    governor.acquire(5)
    assert clock.sleeps == [pytest.approx(0.02)]
    governor.acquire(2)  # history.list
    assert clock.sleeps[-1] == pytest.approx(0.008)


def test_pending_takes_nothing():
    clock = Clock()
    governor = bucket(clock, 1, burst=1)
    assert governor.pending() == 0
    assert governor.pending() == 0
    governor.acquire()
    assert governor.pending() == pytest.approx(1.0)
    assert governor.pending(1) == pytest.approx(1.0)
    assert clock.sleeps == []


def test_a_wait_beyond_the_maximum_raises_and_reserves_nothing():
    clock = Clock()
    governor = bucket(clock, 1, burst=2, max_wait_seconds=1.5)
    governor.acquire(2)
    with pytest.raises(RateLimited) as info:
        governor.acquire(2)  # 2 s away
    assert info.value.retry_after == pytest.approx(2.0)
    governor.acquire(1)  # 1 s away: the failed call reserved nothing
    assert clock.sleeps == [pytest.approx(1.0)]


@pytest.mark.parametrize("cost", [0, -1, 11])
def test_costs_outside_the_bucket_are_refused(cost):
    with pytest.raises(ValueError, match="cost"):
        bucket(Clock(), 10).acquire(cost)


def test_two_threads_share_the_budget_without_overspending():
    # Switch threads every microsecond: an unlocked read-modify-write of the level shows up as
    # two requests given the same slot.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    clock = Clock(advance=False)  # frozen: every wait is a reservation further out
    governor = bucket(clock, 10)
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        for _ in range(2000):
            governor.acquire()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    # 4000 requests: 10 from the burst, then one every 0.1 s whichever thread asked
    assert len(clock.sleeps) == 3990
    assert sorted(clock.sleeps) == pytest.approx([n / 10 for n in range(1, 3991)])


class Recording:
    def __init__(self, name: str, log: list[str], wait: float = 0.0) -> None:
        self.name, self.log, self.wait = name, log, wait

    def acquire(self, cost: float = 1) -> None:
        self.log.append(f"{self.name}.acquire({cost:g})")

    def pending(self, cost: float = 1) -> float:
        return self.wait

    def observe(self, headers: Mapping[str, str]) -> None:
        self.log.append(f"{self.name}.observe({dict(headers)})")


def test_all_of_asks_each_governor_in_order():
    log: list[str] = []
    combined: RateGovernor = AllOf(Recording("a", log, 1.0), Recording("b", log, 3.0))
    combined.acquire(5)
    combined.observe({"X": "1"})
    assert combined.pending() == 3.0
    assert log == ["a.acquire(5)", "b.acquire(5)", "a.observe({'X': '1'})", "b.observe({'X': '1'})"]
    assert AllOf().pending() == 0.0


def test_the_quota_pacer_is_a_governor_driven_by_quota_headers():
    clock = Clock()
    pacer: RateGovernor = QuotaPacer(
        reserve=2,
        max_wait_seconds=120.0,
        clock=clock,
        sleep=clock.sleep,
        wall_clock=lambda: datetime(2026, 1, 31, tzinfo=UTC).timestamp() + clock.now,
    )
    pacer.acquire()  # opens the minute window at t=100
    clock.now += 20
    pacer.observe({"Minute-Quota-Limit": "180", "Minute-Quota-Available": "2"})
    assert pacer.pending() == 40.0
    pacer.acquire()
    assert clock.sleeps == [40.0]
    pacer.observe({"Content-Type": "application/json"})  # no quota headers: nothing changes
    assert pacer.pending() == 0.0


def test_the_quota_pacer_dates_an_answer_by_its_request():
    clock = Clock()
    pacer = QuotaPacer(reserve=2, max_wait_seconds=120.0, clock=clock, sleep=clock.sleep)
    pacer.acquire()  # t=100
    pacer.observe({"Minute-Quota-Available": "10"})
    clock.now = 150.0
    pacer.acquire()  # sent at t=150, inside the window opened at t=100
    clock.now = 160.0  # the answer takes 10 s and shows a refill: the window began by t=150
    pacer.observe({"Minute-Quota-Available": "179"})
    pacer.observe({"Minute-Quota-Available": "1"})
    assert pacer.pending() == 50.0  # 150 + 60 - 160
