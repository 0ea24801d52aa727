"""What a page (or a lease's ledger) changes in the mirror: the pure decisions, no SQL.

A record is written when it is new, its content hash moved, or it comes back after a delete;
otherwise nothing is written (a re-read of an unchanged portfolio costs no writes). A ledger
re-read is the lease's whole ledger, so a stored transaction it lacks was voided: deleted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from wonder.ingest.hashing import content_hash


@dataclass(frozen=True)
class StoredState:
    content_hash: str
    deleted: bool


class HasIdAndRaw(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def raw(self) -> dict[str, object]: ...


R = TypeVar("R", bound=HasIdAndRaw)


@dataclass(frozen=True)
class PagePlan(Generic[R]):
    writes: tuple[R, ...]
    new_ids: tuple[int, ...]
    changed_ids: tuple[int, ...]
    unchanged: int


def plan_page(records: Sequence[R], stored: Mapping[int, StoredState]) -> PagePlan[R]:
    """Records to write (new, changed or undeleted); a page repeating an id keeps the last."""
    latest = {record.id: record for record in records}
    writes, new, changed, unchanged = [], [], [], 0
    for record_id, record in sorted(latest.items()):
        state = stored.get(record_id)
        if state is None:
            new.append(record_id)
        elif state.deleted or state.content_hash != content_hash(record.raw):
            changed.append(record_id)
        else:
            unchanged += 1
            continue
        writes.append(record)
    return PagePlan(tuple(writes), tuple(new), tuple(changed), unchanged)


@dataclass(frozen=True)
class LedgerPlan(Generic[R]):
    writes: tuple[R, ...]
    deletes: tuple[int, ...]
    unchanged: int


def plan_ledger(
    transactions: Sequence[R], stored: Mapping[int, StoredState], keep: Collection[int] = ()
) -> LedgerPlan[R]:
    """A lease's whole ledger against what we hold: writes, and stored live transactions the
    ledger lacks (voided). ``keep``: ids read but quarantined, never deleted for that."""
    page = plan_page(transactions, stored)
    present = {t.id for t in transactions} | set(keep)
    deletes = tuple(
        sorted(i for i, state in stored.items() if not state.deleted and i not in present)
    )
    return LedgerPlan(page.writes, deletes, page.unchanged)


@dataclass(frozen=True)
class Window:
    """Where a walk of one resource starts: ``lastupdatedfrom`` and the offset reached."""

    updated_from: datetime | None
    offset: int
    # The request clock of the walk's first page (None until it is read).
    started_at: datetime | None

    @property
    def full(self) -> bool:
        return self.updated_from is None


def next_window(
    watermark: datetime | None, walk: Mapping[str, object] | None, overlap_seconds: int, full: bool
) -> Window:
    """Resume an interrupted walk where its last committed page ended; otherwise start one:
    everything (first load, or ``full``) or from the watermark minus the overlap."""
    if walk:
        updated_from, started_at = walk.get("from"), walk.get("started_at")
        offset = walk.get("offset")
        return Window(
            datetime.fromisoformat(updated_from) if isinstance(updated_from, str) else None,
            offset if isinstance(offset, int) else 0,
            datetime.fromisoformat(started_at) if isinstance(started_at, str) else None,
        )
    if full or watermark is None:
        return Window(None, 0, None)
    return Window(watermark - timedelta(seconds=overlap_seconds), 0, None)


def walk_state(window: Window) -> dict[str, object]:
    """The cursor state of a walk in progress (JSON)."""
    return {
        "walk": {
            "from": window.updated_from.isoformat() if window.updated_from else None,
            "offset": window.offset,
            "started_at": window.started_at.isoformat() if window.started_at else None,
        }
    }
