"""devstack's one wait loop: progress lines while it waits, what it last saw when it gives up."""

from __future__ import annotations

import pytest

from devstack.processes import DevstackError, wait_until


def test_ready_at_once_prints_nothing() -> None:
    lines: list[str] = []
    wait_until("anything", lambda: True, timeout=1, progress=lines.append)
    assert lines == []


def test_progress_lines_say_what_is_awaited_and_its_state() -> None:
    lines: list[str] = []
    polls = iter(range(1000))

    with pytest.raises(
        DevstackError, match=r"timed out after 0 s waiting for the run \(last seen: Running\)"
    ):
        wait_until(
            "the run",
            lambda: next(polls) < 0,
            timeout=0.3,
            interval=0.01,
            progress=lines.append,
            progress_every=0.1,
            status=lambda: "Running",
        )
    assert lines, "no progress line in 0.3 s with one due every 0.1 s"
    assert all(line.startswith("still waiting for the run (Running): ") for line in lines)
    assert all(line.endswith(" s of 0 s") for line in lines)


def test_becoming_ready_ends_the_wait() -> None:
    calls = iter([False, False, True])
    wait_until("the third poll", lambda: next(calls), timeout=5, interval=0.01)
