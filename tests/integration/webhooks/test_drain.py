"""The drain on both databases: coalescing per entity, the handler's writes and the DONE mark in
one transaction, retries, dead letters with their reason, replay, and the CLI over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.cli.wonder_process import run_wonder
from wonder.db.enums import InboxStatus
from wonder.db.models import IngestCursor, WebhookInboxEvent
from wonder.db.uow import unit_of_work
from wonder.webhooks.drain import DrainPolicy, claim, drain
from wonder.webhooks.inbox import insert_once, replay
from wonder.webhooks.ports import EntityBatch, VerifiedEvent

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
POLICY = DrainPolicy(max_attempts=3, batch_size=50, claim_lease_seconds=300)


def put(sessions: sessionmaker[Session], source: str, entity: str, key: str, **payload) -> None:
    with unit_of_work(sessions) as session:
        dialect = session.get_bind().dialect.name
        event = VerifiedEvent(source, key, entity, {"key": key, **payload})
        session.execute(insert_once(dialect, event, NOW))


@dataclass
class CursorWritingHandler:
    """Writes one ingest cursor per entity (a stand-in for a sync's writes); raises for the
    entities in ``poison``."""

    poison: set[str] = field(default_factory=set)
    batches: list[EntityBatch] = field(default_factory=list)

    def handle(self, session: Session, batch: EntityBatch) -> None:
        self.batches.append(batch)
        session.merge(
            IngestCursor(name=batch.entity_key, state={"events": len(batch.events)}, updated_at=NOW)
        )
        session.flush()
        if batch.entity_key in self.poison:
            raise ValueError(f"cannot resolve {batch.entity_key}")


def statuses(sessions) -> dict[str, list[str]]:
    with sessions() as session:
        rows = session.scalars(select(WebhookInboxEvent).order_by(WebhookInboxEvent.id)).all()
        out: dict[str, list[str]] = {}
        for row in rows:
            out.setdefault(row.entity_key, []).append(row.status.value)
        return out


def cursors(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(IngestCursor.name)))


def test_events_of_one_entity_are_processed_once_together(sessions) -> None:
    for n in range(5):
        put(sessions, "buildium", "lease.7", f"e{n}")
    put(sessions, "buildium", "lease.8", "f0")
    put(sessions, "other", "thing.1", "g0")  # no handler: left alone
    handler = CursorWritingHandler()
    report = drain(sessions, {"buildium": handler}, POLICY, clock=lambda: NOW)
    assert [(b.entity_key, len(b.events)) for b in handler.batches] == [
        ("lease.7", 5),
        ("lease.8", 1),
    ]
    assert (report.processed, report.coalesced, report.entities) == (6, 4, 2)
    assert statuses(sessions) == {
        "lease.7": ["done"] * 5,
        "lease.8": ["done"],
        "thing.1": ["pending"],
    }
    assert drain(sessions, {"buildium": handler}, POLICY, clock=lambda: NOW).processed == 0


def test_a_poison_event_is_dead_lettered_with_its_reason_then_replayed(sessions) -> None:
    put(sessions, "buildium", "lease.7", "good")
    put(sessions, "buildium", "lease.9", "poison")
    handler = CursorWritingHandler(poison={"lease.9"})
    handlers = {"buildium": handler}
    first = drain(sessions, handlers, POLICY, clock=lambda: NOW)
    assert (first.processed, first.failed, first.dead_lettered) == (1, 1, 0)
    # The failed entity's writes rolled back with it; the good one's committed with its DONE.
    assert cursors(sessions) == {"lease.7"}
    assert statuses(sessions)["lease.9"] == ["pending"]
    for _ in range(POLICY.max_attempts - 1):
        drain(sessions, handlers, POLICY, clock=lambda: NOW)
    with sessions() as session:
        dead = session.scalars(
            select(WebhookInboxEvent).where(WebhookInboxEvent.status == InboxStatus.DEAD)
        ).all()
    assert [(row.entity_key, row.attempts) for row in dead] == [("lease.9", POLICY.max_attempts)]
    assert dead[0].last_error == "ValueError: cannot resolve lease.9"
    assert drain(sessions, handlers, POLICY, clock=lambda: NOW).claimed == 0  # dead stays dead

    with unit_of_work(sessions) as session:
        assert replay(session, [dead[0].id]) == 1
    handler.poison.clear()
    again = drain(sessions, handlers, POLICY, clock=lambda: NOW)
    assert (again.processed, again.dead_lettered) == (1, 0)
    assert statuses(sessions)["lease.9"] == ["done"]
    assert cursors(sessions) == {"lease.7", "lease.9"}


def test_a_claim_whose_drain_died_is_taken_again_after_the_lease(sessions) -> None:
    put(sessions, "buildium", "lease.7", "e0")
    with unit_of_work(sessions) as session:
        assert len(claim(session, ["buildium"], POLICY, NOW)) == 1
    with unit_of_work(sessions) as session:  # within the lease: still someone else's
        assert claim(session, ["buildium"], POLICY, NOW + timedelta(seconds=60)) == []
    later = NOW + timedelta(seconds=POLICY.claim_lease_seconds + 1)
    report = drain(sessions, {"buildium": CursorWritingHandler()}, POLICY, clock=lambda: later)
    assert report.processed == 1


def test_two_claims_take_disjoint_events(sessions, engine) -> None:
    """On PostgreSQL the second claim runs while the first is still open (SKIP LOCKED passes its
    rows by); SQLite has one writer, so there the first commits first."""
    for n in range(6):
        put(sessions, "buildium", f"lease.{n}", f"e{n}")
    small = DrainPolicy(max_attempts=3, batch_size=4)
    with unit_of_work(sessions) as first, unit_of_work(sessions) as second:
        a = {row.id for row in claim(first, ["buildium"], small, NOW)}
        if engine.dialect.name == "sqlite":
            first.commit()
        else:  # a claim that waited for the first one's locks would fail here, not hang
            second.execute(text("SET LOCAL lock_timeout = '2s'"))
        b = {row.id for row in claim(second, ["buildium"], small, NOW)}
    assert len(a) == 4
    assert len(b) == 2
    assert not a & b


def test_dead_letters_cli_lists_and_replays(sessions, database_url, tmp_path) -> None:
    put(sessions, "buildium", "lease.9", "poison")
    handlers = {"buildium": CursorWritingHandler(poison={"lease.9"})}
    for _ in range(POLICY.max_attempts):
        drain(sessions, handlers, POLICY, clock=lambda: NOW)
    env = {"WONDER_DATABASE_URL": database_url}
    listed = run_wonder("webhooks", "dead-letters", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "lease.9" in listed.stdout
    assert "ValueError: cannot resolve lease.9" in listed.stdout
    missing = run_wonder("webhooks", "dead-letters", "replay", "999", cwd=tmp_path, env=env)
    assert missing.returncode == 1
    replayed = run_wonder("webhooks", "dead-letters", "replay", "--all", cwd=tmp_path, env=env)
    assert replayed.returncode == 0
    assert "replayed 1" in replayed.stdout
    assert statuses(sessions) == {"lease.9": ["pending"]}
    empty = run_wonder("webhooks", "dead-letters", "list", cwd=tmp_path, env=env)
    assert "no dead letters" in empty.stdout


class SimulatedCrash(BaseException):
    """The drain process dying in the middle of a handler (nothing after it runs)."""


class CrashingHandler(CursorWritingHandler):
    def handle(self, session: Session, batch: EntityBatch) -> None:
        super().handle(session, batch)
        raise SimulatedCrash


def test_a_drain_dying_mid_handler_leaves_the_event_to_be_taken_again(sessions) -> None:
    """The DONE mark commits with the handler's writes: a crash before that commit leaves
    neither, and the event is claimed again once the lease runs out."""
    put(sessions, "buildium", "lease.7", "e0")
    with pytest.raises(SimulatedCrash):
        drain(sessions, {"buildium": CrashingHandler()}, POLICY, clock=lambda: NOW)
    assert statuses(sessions) == {"lease.7": ["processing"]}
    assert cursors(sessions) == set()
    later = NOW + timedelta(seconds=POLICY.claim_lease_seconds + 1)
    report = drain(sessions, {"buildium": CursorWritingHandler()}, POLICY, clock=lambda: later)
    assert report.processed == 1
    assert statuses(sessions) == {"lease.7": ["done"]}
    assert cursors(sessions) == {"lease.7"}
