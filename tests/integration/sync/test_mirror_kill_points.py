"""Crash at every unit of work of a sync, run again: the re-run resumes and ends exactly where an
uninterrupted run ends (the pattern of tests/integration/listings/test_kill_points.py).

The k-th unit of work dies (a BaseException, like a SIGKILL) after its block ran and before it
committed, for every k a clean run opens. Oracles: the same run without a crash on another
database (every row of every mirror table, cursors and quarantine, equal), and the re-run's own
requests: each walk restarts where the crashed database's cursor says, and only the ledgers the
crashed database still marks pending are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from tests.buildium_mirror_fixtures import T0, FakeBuildium
from wonder.db.base import Base
from wonder.db.engine import make_engine, session_factory
from wonder.db.migrate import upgrade
from wonder.db.models import BuildiumLease, IngestCursor
from wonder.settings import BuildiumSyncSettings
from wonder.sync.mirror_service import sync
from wonder.sync.mirror_store import sql_units
from wonder.sync.ports import PAGED, MirrorStore, MirrorUnits

SETTINGS = BuildiumSyncSettings(page_size=2, overlap_seconds=300, ledger_batch_size=3)
TABLES = [t for t in Base.metadata.sorted_tables if t.name.startswith("buildium_")] + [
    Base.metadata.tables["ingest_cursors"],
    Base.metadata.tables["ingest_quarantine"],
]


class Killed(BaseException):
    """The process died here."""


class Units:
    def __init__(self, inner: MirrorUnits, kill_at: int | None = None) -> None:
        self.inner, self.kill_at, self.opened = inner, kill_at, 0

    @contextmanager
    def __call__(self) -> Iterator[MirrorStore]:
        self.opened += 1
        number = self.opened
        with self.inner() as store:
            yield store
            if number == self.kill_at:
                raise Killed(f"unit of work {number}")


def comparable(value: Any) -> str:
    """The same text on both databases (JSONB hands objects back with their keys sorted)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return repr(value)


def end_state(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as s:
        return {
            t.name: sorted(
                (tuple(sorted((k, comparable(v)) for k, v in row._mapping.items() if k != "id"))
                 for row in s.execute(select(t))),
            )
            for t in TABLES
        }  # fmt: skip


def wipe(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))


def expected_first_calls(sessions: sessionmaker[Session]) -> dict[str, tuple[int, Any]]:
    """Where each walk must restart, by the crashed database's cursors."""
    with sessions() as s:
        cursors = {c.name: c for c in s.scalars(select(IngestCursor))}
    expected = {}
    for resource in PAGED:
        cursor = cursors.get(resource.label)
        walk = cursor.state.get("walk") if cursor else None
        if walk:
            expected[resource.value] = (walk["offset"], walk["from"])
        elif cursor and cursor.modification_timestamp:
            expected[resource.value] = (
                0, (cursor.modification_timestamp - timedelta(seconds=300)).isoformat()
            )  # fmt: skip
        else:
            expected[resource.value] = (0, None)
    return expected


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    engine: Engine = make_engine(url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def test_a_crash_at_any_unit_of_work_reruns_to_the_exact_state(
    sessions: sessionmaker[Session], reference: sessionmaker[Session]
) -> None:
    clean_fake = FakeBuildium.seeded()
    counting = Units(sql_units(reference))
    sync(clean_fake, counting, SETTINGS, clock=lambda: T0)
    truth = end_state(reference)
    # cursor reads, 10 pages, the ledger-change cursor (read, start), the pending query, 2 batches
    assert counting.opened == 19
    for kill_at in range(1, counting.opened + 1):
        wipe(sessions)
        fake = FakeBuildium.seeded()
        with pytest.raises(Killed):
            sync(fake, Units(sql_units(sessions), kill_at), SETTINGS, clock=lambda: T0)
        restart = expected_first_calls(sessions)
        with sessions() as s:
            rows = s.execute(select(BuildiumLease.id, BuildiumLease.ledger_pending))
            leases = {lease_id: pending for lease_id, pending in rows}
        # Read again: the ledgers still pending, and those of leases the crash kept from storing.
        reread = {i for i, pending in leases.items() if pending} | (
            {9001, 9002, 9003, 9004} - set(leases)
        )
        fake.list_calls.clear()
        fake.ledger_calls.clear()
        sync(fake, sql_units(sessions), SETTINGS, clock=lambda: T0)
        assert end_state(sessions) == truth, f"killed at unit of work {kill_at}"
        first_calls: dict[str, tuple[int, Any]] = {}
        for resource, offset, updated_from in fake.list_calls:
            first_calls.setdefault(
                resource.value, (offset, updated_from.isoformat() if updated_from else None)
            )
        assert first_calls == restart, f"killed at unit of work {kill_at}"
        assert sorted(fake.ledger_calls) == sorted(reread), f"killed at unit of work {kill_at}"
