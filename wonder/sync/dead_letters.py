"""The webhook inbox's dead letters as the sync API reads and replays them.

The inbox table belongs to the webhook slice (``wonder.db.models.webhooks.WebhookInboxEvent``,
``wonder.webhooks.inbox``); this module names only the columns it needs as a lightweight table,
so it depends on the table's shape, not on that slice's modules. A replay does what
``wonder.webhooks.inbox.replay`` does: the event goes back to pending with a fresh attempt count
(its last error kept) for the next drain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, Integer, String, Text, column, func, select, table, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from wonder.db.types import UTCDateTime

PENDING, PROCESSING, DEAD = "pending", "processing", "dead"

INBOX = table(
    "webhook_inbox",
    column("id", BigInteger),
    column("source", String),
    column("entity_key", String),
    column("received_at", UTCDateTime),
    column("status", String),
    column("attempts", Integer),
    column("last_error", Text),
    column("claimed_at", UTCDateTime),
    column("dead_at", UTCDateTime),
)
_DEAD_COLUMNS = (
    INBOX.c.id,
    INBOX.c.source,
    INBOX.c.entity_key,
    INBOX.c.received_at,
    INBOX.c.attempts,
    INBOX.c.last_error,
    INBOX.c.dead_at,
)


@dataclass(frozen=True)
class InboxCounts:
    waiting: int  # pending or being processed
    dead: int


async def inbox_counts(connection: AsyncConnection, source: str) -> InboxCounts:
    row = (
        await connection.execute(
            select(
                func.count().filter(INBOX.c.status.in_([PENDING, PROCESSING])),
                func.count().filter(INBOX.c.status == DEAD),
            ).where(INBOX.c.source == source)
        )
    ).one()
    return InboxCounts(int(row[0]), int(row[1]))


async def list_dead(
    connection: AsyncConnection, *, source: str | None, after_id: int | None, limit: int
) -> list[Row[Any]]:
    """Dead letters by id ascending, strictly after ``after_id``."""
    statement = select(*_DEAD_COLUMNS).where(INBOX.c.status == DEAD)
    if source is not None:
        statement = statement.where(INBOX.c.source == source)
    if after_id is not None:
        statement = statement.where(INBOX.c.id > after_id)
    result = await connection.execute(statement.order_by(INBOX.c.id).limit(limit))
    rows = cast("list[Row[Any]]", list(result.all()))
    return rows


async def replay(session: AsyncSession, event_id: int) -> Row[Any] | None:
    """Put one dead letter back to pending (committed); the letter as it was, or None when no
    dead letter has that id."""
    found = (
        await session.execute(
            select(*_DEAD_COLUMNS)
            .where(INBOX.c.id == event_id, INBOX.c.status == DEAD)
            .with_for_update()
        )
    ).first()
    letter = cast("Row[Any] | None", found)
    if letter is None:
        await session.rollback()
        return None
    await session.execute(
        update(INBOX)
        .where(INBOX.c.id == event_id, INBOX.c.status == DEAD)
        .values(status=PENDING, attempts=0, claimed_at=None, dead_at=None)
    )
    await session.commit()
    return letter
