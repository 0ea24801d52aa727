"""What a page or a ledger re-read changes, and where a walk starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wonder.ingest.hashing import content_hash
from wonder.sync.mirror_plan import (
    StoredState,
    Window,
    next_window,
    plan_ledger,
    plan_page,
    walk_state,
)


@dataclass(frozen=True)
class Rec:
    id: int
    raw: dict[str, Any] = field(default_factory=dict)


def stored(raw: dict[str, Any], deleted: bool = False) -> StoredState:
    return StoredState(content_hash(raw), deleted)


def test_new_changed_and_undeleted_records_are_written_unchanged_ones_are_not() -> None:
    page = [Rec(1, {"a": 1}), Rec(2, {"a": 2}), Rec(3, {"a": 3}), Rec(4, {"a": 4})]
    plan = plan_page(page, {2: stored({"a": 2}), 3: stored({"a": 0}), 4: stored({"a": 4}, True)})
    assert [r.id for r in plan.writes] == [1, 3, 4]
    assert (plan.new_ids, plan.changed_ids, plan.unchanged) == ((1,), (3, 4), 1)


def test_a_page_repeating_an_id_keeps_the_last_version() -> None:
    plan = plan_page([Rec(1, {"v": 1}), Rec(1, {"v": 2})], {})
    assert plan.writes == (Rec(1, {"v": 2}),)


def test_a_ledger_re_read_deletes_what_it_lacks_except_quarantined_ones() -> None:
    held = {1: stored({}), 2: stored({}), 3: stored({}), 4: stored({}, True)}
    plan = plan_ledger([Rec(1)], held, keep={3})
    assert plan.deletes == (2,)
    assert plan.unchanged == 1


def test_windows() -> None:
    mark = datetime(2026, 6, 1, tzinfo=UTC)
    assert next_window(None, None, 300, full=False) == Window(None, 0, None)
    assert next_window(mark, None, 300, full=True) == Window(None, 0, None)
    assert next_window(mark, None, 300, full=False).updated_from == mark - timedelta(seconds=300)
    walking = Window(mark - timedelta(seconds=300), 2000, mark)
    assert next_window(mark, walk_state(walking)["walk"], 300, full=True) == walking  # type: ignore[arg-type]
