"""The processing side: claim pending inbox events in batches, coalesce them per entity, hand
each entity to its source's handler, and mark the events DONE in the handler's transaction.

A failing entity's events go back to PENDING with the error, and to DEAD (a dead letter, with
the reason) once an event has been tried ``max_attempts`` times. Claims use ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so drains running at once take disjoint batches; on SQLite (one writer
at a time) the claim's ``status = 'pending'`` re-check keeps two drains from taking one event.
A claim older than the lease (its drain died) is taken again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from wonder.db.enums import InboxStatus
from wonder.db.models.webhooks import WebhookInboxEvent
from wonder.db.uow import unit_of_work
from wonder.webhooks.ports import EntityBatch, InboxHandler, InboxItem

log = logging.getLogger("wonder.webhooks.drain")
_MAX_REASON = 2000


@dataclass
class DrainReport:
    """What a drain did: events claimed and processed, how many of them were coalesced into
    another event's processing, entities handled, failures and new dead letters."""

    claimed: int = 0
    processed: int = 0
    coalesced: int = 0
    entities: int = 0
    failed: int = 0
    dead_lettered: int = 0
    dead_letter_ids: list[int] = field(default_factory=list)
    last_id: int = 0

    def add(self, other: DrainReport) -> None:
        self.claimed += other.claimed
        self.processed += other.processed
        self.coalesced += other.coalesced
        self.entities += other.entities
        self.failed += other.failed
        self.dead_lettered += other.dead_lettered
        self.dead_letter_ids.extend(other.dead_letter_ids)
        self.last_id = max(self.last_id, other.last_id)


@dataclass(frozen=True)
class DrainPolicy:
    max_attempts: int = 5
    batch_size: int = 100
    claim_lease_seconds: float = 300.0


def claim(
    session: Session,
    sources: Iterable[str],
    policy: DrainPolicy,
    now: datetime,
    *,
    after_id: int = 0,
) -> list[WebhookInboxEvent]:
    """Take up to ``batch_size`` events of ``sources`` past ``after_id`` (pending, or claimed by
    a drain whose lease ran out), oldest first; each claim counts an attempt."""
    table = WebhookInboxEvent
    stale = now - timedelta(seconds=policy.claim_lease_seconds)
    claimable = or_(
        table.status == InboxStatus.PENDING,
        and_(table.status == InboxStatus.PROCESSING, table.claimed_at < stale),
    )
    wanted = list(sources)
    candidates = session.scalars(
        select(table.id)
        .where(claimable, table.source.in_(wanted), table.id > after_id)
        .order_by(table.id)
        .limit(policy.batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        return []
    claimed_ids = session.scalars(
        update(table)
        .where(table.id.in_(candidates), claimable)
        .values(status=InboxStatus.PROCESSING, claimed_at=now, attempts=table.attempts + 1)
        .returning(table.id)
    ).all()
    rows = session.scalars(select(table).where(table.id.in_(claimed_ids)).order_by(table.id)).all()
    return list(rows)


def coalesce(rows: Iterable[WebhookInboxEvent]) -> list[EntityBatch]:
    """One batch per (source, entity), in the order each entity first appears."""
    groups: dict[tuple[str, str], list[InboxItem]] = {}
    for row in rows:
        item = InboxItem(row.id, row.payload, row.received_at, row.attempts)
        groups.setdefault((row.source, row.entity_key), []).append(item)
    return [EntityBatch(source, key, tuple(items)) for (source, key), items in groups.items()]


def drain_once(
    sessions: sessionmaker[Session],
    handlers: Mapping[str, InboxHandler],
    policy: DrainPolicy,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    after_id: int = 0,
) -> DrainReport:
    """Claim one batch (events past ``after_id``) and process it."""
    report = DrainReport()
    if not handlers:
        return report
    with unit_of_work(sessions) as session:
        rows = claim(session, handlers, policy, clock(), after_id=after_id)
        report.last_id = max((row.id for row in rows), default=after_id)
        batches = coalesce(rows)
    for batch in batches:
        report.claimed += len(batch.events)
        try:
            with unit_of_work(sessions) as session:
                handlers[batch.source].handle(session, batch)
                _mark_done(session, batch, clock())
        except Exception as error:
            report.failed += len(batch.events)
            with unit_of_work(sessions) as session:
                dead = _mark_failed(session, batch, _reason(error), policy, clock())
            report.dead_lettered += len(dead)
            report.dead_letter_ids.extend(dead)
            log.warning("webhook entity %s failed: %s", batch.entity_key, type(error).__name__)
            continue
        report.entities += 1
        report.processed += len(batch.events)
        report.coalesced += len(batch.events) - 1
    return report


def drain(
    sessions: sessionmaker[Session],
    handlers: Mapping[str, InboxHandler],
    policy: DrainPolicy,
    *,
    max_batches: int = 1000,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DrainReport:
    """Batches until none is left to claim (or ``max_batches``). Each batch starts past the last
    one, so a failed event waits for the next drain instead of being retried at once."""
    total = DrainReport()
    for _ in range(max_batches):
        report = drain_once(sessions, handlers, policy, clock, after_id=total.last_id)
        total.add(report)
        if report.claimed == 0:
            break
    return total


def _reason(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:_MAX_REASON]


def _mark_done(session: Session, batch: EntityBatch, now: datetime) -> None:
    session.execute(
        update(WebhookInboxEvent)
        .where(WebhookInboxEvent.id.in_([event.id for event in batch.events]))
        .values(status=InboxStatus.DONE, processed_at=now, last_error=None)
    )


def _mark_failed(
    session: Session, batch: EntityBatch, reason: str, policy: DrainPolicy, now: datetime
) -> list[int]:
    dead = [event.id for event in batch.events if event.attempts >= policy.max_attempts]
    retry = [event.id for event in batch.events if event.attempts < policy.max_attempts]
    table = WebhookInboxEvent
    if retry:
        session.execute(
            update(table)
            .where(table.id.in_(retry))
            .values(status=InboxStatus.PENDING, claimed_at=None, last_error=reason)
        )
    if dead:
        session.execute(
            update(table)
            .where(table.id.in_(dead))
            .values(status=InboxStatus.DEAD, dead_at=now, last_error=reason)
        )
    return dead
