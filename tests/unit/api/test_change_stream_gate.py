"""The change-stream gate: contiguous rows go out; a gap holds until filled or stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wonder.db.change_feed import GapGate

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


@dataclass
class Row:
    seq: int
    changed_at: datetime = NOW


def rows(*seqs: int, age_seconds: float = 0) -> list[Row]:
    return [Row(seq, NOW - timedelta(seconds=age_seconds)) for seq in seqs]


def test_contiguous_rows_are_released() -> None:
    gate = GapGate(grace_seconds=10)
    assert gate.releasable(0, rows(1, 2, 3), now=NOW, monotonic=0) == 3
    assert gate.releasable(3, [], now=NOW, monotonic=0) == 0


def test_a_fresh_gap_holds_the_rows_behind_it() -> None:
    gate = GapGate(grace_seconds=10)
    assert gate.releasable(0, rows(1, 2, 4, 5), now=NOW, monotonic=100) == 2
    # Still within the grace period: 4 waits for 3.
    assert gate.releasable(2, rows(4, 5), now=NOW, monotonic=105) == 0
    # 3 committed meanwhile: everything flows in order.
    assert gate.releasable(2, rows(3, 4, 5), now=NOW, monotonic=106) == 3


def test_a_gap_that_outlives_the_grace_period_is_skipped() -> None:
    gate = GapGate(grace_seconds=10)
    assert gate.releasable(2, rows(4, 5), now=NOW, monotonic=100) == 0
    assert gate.releasable(2, rows(4, 5), now=NOW, monotonic=110) == 2


def test_old_rows_after_a_gap_are_released_at_once() -> None:
    # A backlog's holes are rolled-back inserts from long ago: no waiting on them.
    gate = GapGate(grace_seconds=10)
    assert gate.releasable(0, rows(2, 5, 9, age_seconds=60), now=NOW, monotonic=0) == 3


def test_a_new_gap_restarts_the_clock() -> None:
    gate = GapGate(grace_seconds=10)
    assert gate.releasable(2, rows(4), now=NOW, monotonic=100) == 0
    assert gate.releasable(2, rows(4), now=NOW, monotonic=111) == 1
    assert gate.releasable(4, rows(6), now=NOW, monotonic=112) == 0
    assert gate.releasable(4, rows(6), now=NOW, monotonic=121) == 0
    assert gate.releasable(4, rows(6), now=NOW, monotonic=122) == 1


def test_a_row_exactly_as_old_as_the_grace_period_is_released_past_a_gap() -> None:
    gate = GapGate(grace_seconds=10)
    assert gate.releasable(2, rows(4, 5, age_seconds=10), now=NOW, monotonic=0) == 2
    assert (
        GapGate(grace_seconds=10).releasable(2, rows(4, age_seconds=9), now=NOW, monotonic=0) == 0
    )
