"""The inbox table's operations: store (the receiver, async), dead letters (list, replay)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from wonder.db.enums import InboxStatus
from wonder.db.json_text import holds_nul, nul_replaced
from wonder.db.models.webhooks import WebhookInboxEvent
from wonder.webhooks.ports import VerifiedEvent


def insert_once(dialect: str, event: VerifiedEvent, now: datetime) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: a duplicate (either unique key)
    inserts nothing and returns no row.

    A NUL character (which PostgreSQL refuses in text and JSON) is stored as U+FFFD: a signed
    event holding one is kept, not answered 503 on every redelivery.
    """
    values: dict[str, Any] = {
        "source": event.source,
        "dedupe_key": nul_replaced(event.dedupe_key),
        "entity_key": nul_replaced(event.entity_key[:400]),
        "mailbox": nul_replaced(event.mailbox),
        "history_id": event.history_id,
        "payload": nul_replaced(event.payload) if holds_nul(event.payload) else event.payload,
        "received_at": now,
        "status": InboxStatus.PENDING,
        "attempts": 0,
    }
    if dialect == "postgresql":
        return postgresql.insert(WebhookInboxEvent).values(values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(WebhookInboxEvent).values(values).on_conflict_do_nothing()
    raise NotImplementedError(f"inbox on {dialect}")


async def store(session: AsyncSession, event: VerifiedEvent, now: datetime) -> int | None:
    """Store ``event`` and commit; its new id, or None when it was a duplicate (stored before)."""
    statement = insert_once(session.get_bind().dialect.name, event, now)
    inserted = (await session.execute(statement.returning(WebhookInboxEvent.id))).scalar()
    await session.commit()
    return inserted


def dead_letters(session: Session, limit: int = 100) -> Sequence[WebhookInboxEvent]:
    query = (
        select(WebhookInboxEvent)
        .where(WebhookInboxEvent.status == InboxStatus.DEAD)
        .order_by(WebhookInboxEvent.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def replay(session: Session, ids: Sequence[int] | None = None) -> int:
    """Put dead letters (``ids``, or all when None) back to PENDING with a fresh attempt count;
    how many were."""
    statement = (
        update(WebhookInboxEvent)
        .where(WebhookInboxEvent.status == InboxStatus.DEAD)
        .values(status=InboxStatus.PENDING, attempts=0, claimed_at=None, dead_at=None)
    )
    if ids is not None:
        statement = statement.where(WebhookInboxEvent.id.in_(list(ids)))
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return result.rowcount or 0
