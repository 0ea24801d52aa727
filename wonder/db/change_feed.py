"""Which change-feed rows a replication stream may send now (pure).

``listing_changes.seq`` is allocated when a row is inserted, but rows become visible when their
transaction commits, so with concurrent writers seq 8 can be visible before seq 7. A stream that
sent 8 and moved its cursor past 7 would lose 7 forever. So a stream only releases rows while
they are contiguous with its cursor; at a gap it holds back until the gap fills, or until the gap
has lasted ``grace_seconds`` (a rolled-back insert leaves a permanent hole) or the row after it
is already older than that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol


class FeedRow(Protocol):
    @property
    def seq(self) -> int: ...

    @property
    def changed_at(self) -> datetime: ...


@dataclass
class GapGate:
    """Decides, poll after poll, how many of the rows read after the cursor are safe to send."""

    grace_seconds: float
    # Where a held gap was first seen: (cursor it follows, monotonic time).
    _gap: tuple[int, float] | None = field(default=None, init=False)

    def releasable(
        self, cursor: int, rows: Sequence[FeedRow], *, now: datetime, monotonic: float
    ) -> int:
        """How many leading ``rows`` (sorted by seq, all > cursor) may be sent now."""
        released = 0
        for row in rows:
            if row.seq != cursor + 1 and not self._gap_expired(cursor, row, now, monotonic):
                break
            cursor = row.seq
            released += 1
        return released

    def _gap_expired(self, cursor: int, row: FeedRow, now: datetime, monotonic: float) -> bool:
        if now - row.changed_at >= timedelta(seconds=self.grace_seconds):
            return True
        if self._gap is None or self._gap[0] != cursor:
            self._gap = (cursor, monotonic)
        return monotonic - self._gap[1] >= self.grace_seconds
