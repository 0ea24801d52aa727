"""The mail tables' write side for the sync: messages, the fetch queue, label changes.

Nothing here commits: the sync pairs each of these with its cursor in one unit of work.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from wonder.clients.gmail.records import HistoryChange, RawMessage
from wonder.db.bulk import insert_for, key_in
from wonder.db.enums import LabelChangeKind
from wonder.db.models import MailFetchQueue, MailLabelChange, MailMessage, MailMessageChange

_MESSAGES: Table = MailMessage.__table__  # type: ignore[assignment]
_QUEUE: Table = MailFetchQueue.__table__  # type: ignore[assignment]
_LABELS: Table = MailLabelChange.__table__  # type: ignore[assignment]
_CHANGES: Table = MailMessageChange.__table__  # type: ignore[assignment]
COMPRESSION_LEVEL = 6


@dataclass(frozen=True)
class Queued:
    gmail_id: str
    attempts: int


def stored_ids(session: Session, mailbox: str, gmail_ids: Sequence[str]) -> set[str]:
    if not gmail_ids:
        return set()
    rows = session.execute(
        select(_MESSAGES.c.gmail_id).where(
            _MESSAGES.c.mailbox == mailbox, key_in(session, _MESSAGES.c.gmail_id, gmail_ids)
        )
    )
    return {row[0] for row in rows}


def enqueue(
    session: Session, mailbox: str, ids: Iterable[tuple[str, str | None]], now: datetime
) -> int:
    """Queue the (id, thread id) pairs not stored yet; returns how many were new to the queue."""
    pairs = dict(ids)
    known = stored_ids(session, mailbox, list(pairs))
    fresh = [i for i in pairs if i not in known]
    if not fresh:
        return 0
    rows = [
        {
            "mailbox": mailbox,
            "gmail_id": i,
            "thread_id": pairs[i],
            "enqueued_at": now,
            "attempts": 0,
        }
        for i in fresh
    ]
    stmt = insert_for(session, _QUEUE).on_conflict_do_nothing(
        index_elements=["mailbox", "gmail_id"]
    )
    result = session.execute(stmt.returning(_QUEUE.c.gmail_id), rows)
    return len(result.all())


def next_in_queue(
    session: Session, mailbox: str, limit: int, skip: Sequence[str] = ()
) -> list[Queued]:
    query = (
        select(_QUEUE.c.gmail_id, _QUEUE.c.attempts)
        .where(_QUEUE.c.mailbox == mailbox)
        .order_by(_QUEUE.c.enqueued_at, _QUEUE.c.gmail_id)
        .limit(limit + len(skip))
    )
    skipped = set(skip)
    rows = [Queued(r[0], r[1]) for r in session.execute(query) if r[0] not in skipped]
    return rows[:limit]


def queue_depth(session: Session, mailbox: str) -> int:
    from sqlalchemy import func

    query = select(func.count()).select_from(_QUEUE).where(_QUEUE.c.mailbox == mailbox)
    return int(session.execute(query).scalar_one())


def store_messages(
    session: Session, mailbox: str, messages: Sequence[RawMessage], now: datetime
) -> int:
    """Insert messages not stored yet (by Gmail id) and take them off the queue; returns how
    many were new (the rest were already there: duplicates, nothing rewritten)."""
    if not messages:
        return 0
    rows = [
        {
            "mailbox": mailbox,
            "gmail_id": m.id,
            "thread_id": m.thread_id,
            "history_id": m.history_id,
            "internal_date": datetime.fromtimestamp(m.internal_date_ms / 1000, tz=UTC),
            "label_ids": list(m.label_ids),
            "size_estimate": m.size_estimate or len(m.raw),
            "raw_zlib": zlib.compress(m.raw, COMPRESSION_LEVEL),
            "raw_sha256": hashlib.sha256(m.raw).hexdigest(),
            "fetched_at": now,
        }
        for m in messages
    ]
    stmt = insert_for(session, _MESSAGES).on_conflict_do_nothing(
        index_elements=["mailbox", "gmail_id"]
    )
    inserted = [r[0] for r in session.execute(stmt.returning(_MESSAGES.c.gmail_id), rows)]
    record_changes(session, mailbox, inserted, "stored", now)
    dequeue(session, mailbox, [m.id for m in messages])
    return len(inserted)


def record_changes(
    session: Session, mailbox: str, gmail_ids: Sequence[str], kind: str, now: datetime
) -> None:
    """Append to the message change feed, in the caller's transaction (the stream's source)."""
    if gmail_ids:
        session.execute(
            _CHANGES.insert(),
            [
                {"mailbox": mailbox, "gmail_id": i, "kind": kind, "changed_at": now}
                for i in sorted(gmail_ids)
            ],
        )


def dequeue(session: Session, mailbox: str, gmail_ids: Sequence[str]) -> None:
    if gmail_ids:
        session.execute(
            delete(_QUEUE).where(
                _QUEUE.c.mailbox == mailbox, key_in(session, _QUEUE.c.gmail_id, gmail_ids)
            )
        )


def failed_again(session: Session, mailbox: str, gmail_ids: Sequence[str], reason: str) -> None:
    if gmail_ids:
        session.execute(
            update(_QUEUE)
            .where(_QUEUE.c.mailbox == mailbox, key_in(session, _QUEUE.c.gmail_id, gmail_ids))
            .values(attempts=_QUEUE.c.attempts + 1, last_error=reason)
        )


def mark_deleted(session: Session, mailbox: str, gmail_ids: Sequence[str], now: datetime) -> None:
    if gmail_ids:
        marked = session.execute(
            update(_MESSAGES)
            .where(
                _MESSAGES.c.mailbox == mailbox,
                key_in(session, _MESSAGES.c.gmail_id, gmail_ids),
                _MESSAGES.c.deleted_at.is_(None),
            )
            .values(deleted_at=now)
            .returning(_MESSAGES.c.gmail_id)
        )
        record_changes(session, mailbox, [r[0] for r in marked], "deleted", now)
        dequeue(session, mailbox, gmail_ids)


def record_label_change(
    session: Session, mailbox: str, change: HistoryChange, now: datetime
) -> bool:
    """Store the change once and apply it to the stored message; False if already recorded."""
    kind = LabelChangeKind.ADDED if change.kind == "labelAdded" else LabelChangeKind.REMOVED
    row = {
        "mailbox": mailbox,
        "gmail_id": change.message_id,
        "history_id": change.history_id,
        "kind": kind,
        "label_ids": list(change.label_ids),
        "recorded_at": now,
    }
    stmt = insert_for(session, _LABELS).on_conflict_do_nothing(
        index_elements=["mailbox", "gmail_id", "history_id", "kind"]
    )
    if not session.execute(stmt.returning(_LABELS.c.id), [row]).all():
        return False
    current = session.execute(
        select(_MESSAGES.c.label_ids).where(
            _MESSAGES.c.mailbox == mailbox, _MESSAGES.c.gmail_id == change.message_id
        )
    ).scalar_one_or_none()
    if current is not None:
        labels = set(current)
        labels = (
            labels | set(change.label_ids)
            if kind is LabelChangeKind.ADDED
            else labels - set(change.label_ids)
        )
        session.execute(
            update(_MESSAGES)
            .where(_MESSAGES.c.mailbox == mailbox, _MESSAGES.c.gmail_id == change.message_id)
            .values(label_ids=sorted(labels))
        )
        record_changes(session, mailbox, [change.message_id], "labels", now)
    return True


def record_modified_labels(
    session: Session,
    mailbox: str,
    gmail_id: str,
    labels_after: Sequence[str],
    history_id: int,
    now: datetime,
) -> bool:
    """Take Gmail's labels after a ``messages.modify`` of ours: the stored labels, the label
    changes (what differs from the stored copy, at Gmail's ``historyId``, so the history sync
    that reports the same change later stores it once) and a ``labels`` change-feed row, in the
    caller's transaction. False when the message is not stored; no row when nothing changed."""
    current = session.execute(
        select(_MESSAGES.c.label_ids)
        .where(_MESSAGES.c.mailbox == mailbox, _MESSAGES.c.gmail_id == gmail_id)
        .with_for_update()
    ).scalar_one_or_none()
    if current is None:
        return False
    before, after = set(current), set(labels_after)
    changes = [
        (kind, sorted(labels))
        for kind, labels in (
            (LabelChangeKind.ADDED, after - before),
            (LabelChangeKind.REMOVED, before - after),
        )
        if labels
    ]
    if not changes:
        return True
    stmt = insert_for(session, _LABELS).on_conflict_do_nothing(
        index_elements=["mailbox", "gmail_id", "history_id", "kind"]
    )
    rows = [
        {
            "mailbox": mailbox,
            "gmail_id": gmail_id,
            "history_id": history_id,
            "kind": kind,
            "label_ids": labels,
            "recorded_at": now,
        }
        for kind, labels in changes
    ]
    session.execute(stmt, rows)
    session.execute(
        update(_MESSAGES)
        .where(_MESSAGES.c.mailbox == mailbox, _MESSAGES.c.gmail_id == gmail_id)
        .values(label_ids=sorted(after))
    )
    record_changes(session, mailbox, [gmail_id], "labels", now)
    return True


def raw_of(session: Session, mailbox: str, gmail_id: str) -> bytes | None:
    packed = session.execute(
        select(_MESSAGES.c.raw_zlib).where(
            _MESSAGES.c.mailbox == mailbox, _MESSAGES.c.gmail_id == gmail_id
        )
    ).scalar_one_or_none()
    return zlib.decompress(packed) if packed is not None else None
