"""The quarantine: source records an ingest could not accept, kept with the reason.

Nothing is silently lost: a bad record is stored as received (NUL characters replaced so
PostgreSQL takes it), once per distinct payload, and stays until resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from wonder.db.bulk import upsert
from wonder.db.models import QuarantinedRecord
from wonder.ingest.hashing import content_hash

_QUARANTINE: Table = QuarantinedRecord.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class QuarantineEntry:
    resource: str
    record_key: str | None
    reason: str
    payload_hash: str
    raw: dict[str, Any]


def quarantine(session: Session, entries: Sequence[QuarantineEntry], now: datetime) -> None:
    """Keep bad records; the same payload again only bumps ``last_seen_at``."""
    unique = {(e.resource, e.payload_hash): e for e in entries}
    rows = [
        {
            "resource": e.resource,
            "record_key": e.record_key,
            "reason": e.reason,
            "payload_hash": e.payload_hash,
            "raw": e.raw,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for e in unique.values()
    ]
    upsert(
        session,
        _QUARANTINE,
        rows,
        conflict=["resource", "payload_hash"],
        keep=["first_seen_at", "raw", "record_key"],
    )


def list_quarantine(
    session: Session, *, resource: str | None = None, limit: int = 50
) -> list[QuarantinedRecord]:
    stmt = select(QuarantinedRecord).where(QuarantinedRecord.resolved_at.is_(None))
    if resource:
        stmt = stmt.where(QuarantinedRecord.resource == resource)
    stmt = stmt.order_by(QuarantinedRecord.last_seen_at.desc(), QuarantinedRecord.id).limit(limit)
    return list(session.scalars(stmt))


def entry_for(resource: str, record_key: str | None, reason: str, raw: Any) -> QuarantineEntry:
    """The quarantine entry of one rejected record (any JSON value, not only objects)."""
    document = raw if isinstance(raw, dict) else {"value": raw}
    return QuarantineEntry(
        resource=resource,
        record_key=record_key,
        reason=reason,
        payload_hash=content_hash(document),
        raw=storable(document),
    )


def storable(value: Any) -> Any:
    """A JSON document PostgreSQL accepts (NUL characters replaced) for the quarantine."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value
