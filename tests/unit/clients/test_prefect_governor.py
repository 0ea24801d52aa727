"""flows.governor: the Prefect rate-limit adapter calls ``rate_limit`` as expected (no server)."""

from typing import Any

import pytest

import flows.governor as prefect_governor
from flows.governor import PrefectRateGovernor
from wonder.clients.errors import RateLimited
from wonder.clients.governor import AllOf, RateGovernor


@pytest.fixture
def calls(monkeypatch) -> list[tuple[Any, dict[str, Any]]]:
    recorded: list[tuple[Any, dict[str, Any]]] = []

    def fake_rate_limit(names: Any, **kwargs: Any) -> None:
        recorded.append((names, kwargs))

    monkeypatch.setattr(prefect_governor, "rate_limit", fake_rate_limit)
    return recorded


def test_acquire_occupies_the_cost_strictly(calls):
    governor: RateGovernor = PrefectRateGovernor("buildium-42", timeout_seconds=30.0)
    governor.acquire()
    governor.acquire(5)
    governor.acquire(2.5)  # whole slots only: rounded up
    assert calls == [
        ("buildium-42", {"occupy": 1, "timeout_seconds": 30.0, "strict": True}),
        ("buildium-42", {"occupy": 5, "timeout_seconds": 30.0, "strict": True}),
        ("buildium-42", {"occupy": 3, "timeout_seconds": 30.0, "strict": True}),
    ]
    assert governor.pending(5) == 0.0
    governor.observe({"X-Anything": "1"})
    assert len(calls) == 3


def test_a_timeout_is_rate_limited(monkeypatch):
    def timing_out(names: Any, **kwargs: Any) -> None:
        raise TimeoutError("Attempt to acquire concurrency slots timed out after 1 second(s)")

    monkeypatch.setattr(prefect_governor, "rate_limit", timing_out)
    with pytest.raises(RateLimited, match="'gmail-me'"):
        PrefectRateGovernor("gmail-me", timeout_seconds=1.0).acquire(5)


def test_combined_with_an_in_process_governor(calls):
    governor = AllOf(PrefectRateGovernor("trestle-conn", strict=False))
    governor.acquire()
    assert calls == [("trestle-conn", {"occupy": 1, "timeout_seconds": None, "strict": False})]


@pytest.mark.parametrize("cost", [0, -2])
def test_refuses_nonsense(calls, cost):
    with pytest.raises(ValueError, match="cost"):
        PrefectRateGovernor("x").acquire(cost)
    with pytest.raises(ValueError, match="name"):
        PrefectRateGovernor("")
    assert calls == []
