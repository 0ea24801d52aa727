"""The quarantine: source records an ingest could not accept, kept with the reason.

Nothing is silently lost: a bad record is stored as received (NUL characters replaced so
PostgreSQL takes it), once per distinct payload, and stays until resolved.

A run reports what it met in the quarantine with :func:`tally_since` (from the instant it
started): records quarantined for the first time (*new*) apart from records an earlier run
already quarantined and that are still unresolved (*still open*), so the same bad record met on
every run does not read as a new failure each time. A record is known by its key (a changed
payload of a record already open is still open), or by its payload when it has no key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from wonder.db.bulk import upsert
from wonder.db.json_text import nul_replaced
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


@dataclass(frozen=True)
class QuarantineNote:
    """One quarantined record as a person reads it: which record, and why."""

    resource: str
    record_key: str | None
    reason: str


@dataclass(frozen=True)
class QuarantineTally:
    """What a run met in the quarantine of one resource (see :func:`tally_since`).

    ``new`` / ``still_open`` count records; the notes hold up to the ``sample`` asked for.
    """

    resource: str
    new: int = 0
    still_open: int = 0
    new_records: tuple[QuarantineNote, ...] = ()
    still_open_records: tuple[QuarantineNote, ...] = ()


def tally_since(
    session: Session, since: datetime, *, sample: int = 10
) -> dict[str, QuarantineTally]:
    """Unresolved records met at or after ``since``, per resource: new versus still open.

    *New*: first quarantined at or after ``since``, and no open record with the same key was
    quarantined before. *Still open*: quarantined before ``since`` (or its key was) and met
    again since. Records not met since ``since`` are in neither (:func:`open_counts` has all).
    """
    record = QuarantinedRecord
    older = aliased(QuarantinedRecord)
    key_known_before = (
        exists()
        .where(
            older.resource == record.resource,
            older.record_key == record.record_key,
            older.resolved_at.is_(None),
            older.first_seen_at < since,
        )
        .correlate(record)
    )
    rows = session.execute(
        select(
            record.resource,
            record.record_key,
            record.payload_hash,
            record.reason,
            or_(record.first_seen_at < since, key_known_before).label("known_before"),
        )
        .where(record.resolved_at.is_(None), record.last_seen_at >= since)
        .order_by(record.resource, record.first_seen_at, record.id)
    ).all()
    new: dict[str, dict[str, QuarantineNote]] = {}
    still: dict[str, dict[str, QuarantineNote]] = {}
    for resource, key, payload_hash, reason, known_before in rows:
        identity = key if key is not None else f"payload:{payload_hash}"
        bucket = still if known_before else new
        bucket.setdefault(resource, {}).setdefault(identity, QuarantineNote(resource, key, reason))
    for resource, records in still.items():
        for identity in records:
            new.get(resource, {}).pop(identity, None)  # one record, two payloads: still open
    tallies = {}
    for resource in sorted(new.keys() | still.keys()):
        fresh, known = new.get(resource, {}), still.get(resource, {})
        tallies[resource] = QuarantineTally(
            resource=resource,
            new=len(fresh),
            still_open=len(known),
            new_records=tuple(list(fresh.values())[:sample]),
            still_open_records=tuple(list(known.values())[:sample]),
        )
    return tallies


def open_counts(session: Session) -> dict[str, int]:
    """Unresolved quarantined records per resource (a record by its key, else its payload)."""
    record = QuarantinedRecord
    identity = func.coalesce(record.record_key, "payload:" + record.payload_hash)
    rows = session.execute(
        select(QuarantinedRecord.resource, func.count(func.distinct(identity)))
        .where(QuarantinedRecord.resolved_at.is_(None))
        .group_by(QuarantinedRecord.resource)
        .order_by(QuarantinedRecord.resource)
    ).all()
    return {resource: int(count) for resource, count in rows}


def entry_for(resource: str, record_key: str | None, reason: str, raw: Any) -> QuarantineEntry:
    """The quarantine entry of one rejected record (any JSON value, not only objects)."""
    document = raw if isinstance(raw, dict) else {"value": raw}
    return QuarantineEntry(
        resource=resource,
        record_key=record_key,
        reason=reason,
        payload_hash=content_hash(document),
        raw=nul_replaced(document),
    )
