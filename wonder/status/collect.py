"""What ``wonder status`` shows, read from the database in one session (never a secret).

- cursors: each ingest cursor's position (the newest source ``ModificationTimestamp`` committed,
  and the key after it), how far behind now that is, and when it last moved;
- the newest change-feed row (what a replication stream would send last);
- the quarantine: unresolved records per resource, new (first seen within ``NEW_WITHIN``) versus
  older ones still open, and how many of them a later run met again;
- the listings and photos the API reads from their columns (no current stored message);
- held deletes awaiting a decision;
- API tokens: name, prefix, scopes, created, last used, revoked.

Prefect flow runs are not in this database: :func:`flow_runs_hint` says where to see them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wonder.auth.store import list_tokens
from wonder.db.models import (
    HeldDelete,
    HeldDeleteStatus,
    IngestCursor,
    Listing,
    ListingChange,
    ListingMedia,
    QuarantinedRecord,
)
from wonder.db.readiness import Readiness
from wonder.listings.read_repository import LISTING_MESSAGE_STALE, MEDIA_MESSAGE_STALE

# A quarantined record first seen this recently counts as new; older open ones as still open.
NEW_WITHIN = timedelta(hours=24)
DEMO_PREFECT_UI = "http://127.0.0.1:4200"


@dataclass(frozen=True)
class CursorStatus:
    name: str
    # The position: newest source modification committed, and the key it ended on.
    modification_timestamp: datetime | None
    last_key: str | None
    # now - modification_timestamp: how far behind the source this cursor may be, at most.
    behind_seconds: float | None
    # When a run last committed a page under this cursor.
    updated_at: datetime
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeFeedRow:
    seq: int
    listing_key: str
    kind: str
    changed_at: datetime


@dataclass(frozen=True)
class QuarantineStatus:
    resource: str
    open: int
    # First seen within NEW_WITHIN of now; the rest have been open longer.
    new: int
    still_open: int
    # Open records a later run met again (the source still serves them as they were).
    seen_again: int
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class HeldDeleteSummary:
    id: int
    resource: str
    keys: int
    stored_count: int
    created_at: datetime


@dataclass(frozen=True)
class TokenStatus:
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class StoredMessages:
    """How many listings and photos there are, and how many lack a current stored message."""

    listings: int
    listings_not_current: int
    media: int
    media_not_current: int


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    database: Readiness
    cursors: list[CursorStatus] = field(default_factory=list)
    newest_change: ChangeFeedRow | None = None
    stored_messages: StoredMessages | None = None
    quarantine: list[QuarantineStatus] = field(default_factory=list)
    held_deletes: list[HeldDeleteSummary] = field(default_factory=list)
    tokens: list[TokenStatus] = field(default_factory=list)
    flow_runs: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types: datetimes as ISO 8601 (UTC), durations in seconds."""
        document: dict[str, Any] = _jsonable(asdict(self))
        document["database"] = readiness_json(self.database)
        return document


def readiness_json(readiness: Readiness) -> dict[str, Any]:
    return {
        "url": readiness.url,
        "state": readiness.state.value,
        "reason": readiness.reason,
        "revision": readiness.current,
        "head": readiness.head,
    }


def collect_status(session: Session, database: Readiness, now: datetime) -> StatusReport:
    """Everything ``wonder status`` shows, as of ``now`` (an aware UTC datetime)."""
    return StatusReport(
        generated_at=now,
        database=database,
        cursors=cursors(session, now),
        newest_change=newest_change(session),
        stored_messages=stored_messages(session),
        quarantine=quarantine(session, now),
        held_deletes=held_deletes(session),
        tokens=tokens(session),
        flow_runs=flow_runs_hint(),
    )


def cursors(session: Session, now: datetime) -> list[CursorStatus]:
    rows = session.scalars(select(IngestCursor).order_by(IngestCursor.name))
    return [
        CursorStatus(
            name=row.name,
            modification_timestamp=row.modification_timestamp,
            last_key=row.last_key,
            behind_seconds=(
                (now - row.modification_timestamp).total_seconds()
                if row.modification_timestamp is not None
                else None
            ),
            updated_at=row.updated_at,
            state=dict(row.state or {}),
        )
        for row in rows
    ]


def newest_change(session: Session) -> ChangeFeedRow | None:
    row = session.scalar(select(ListingChange).order_by(ListingChange.seq.desc()).limit(1))
    if row is None:
        return None
    return ChangeFeedRow(row.seq, row.listing_key, str(row.kind), row.changed_at)


def stored_messages(session: Session) -> StoredMessages:
    def counts(table: Any, not_current: Any) -> tuple[int, int]:
        total, stale = session.execute(
            select(
                func.count(), func.coalesce(func.sum(case((not_current, 1), else_=0)), 0)
            ).select_from(table)
        ).one()
        return int(total), int(stale)

    listings = counts(Listing.__table__, LISTING_MESSAGE_STALE)
    media = counts(ListingMedia.__table__, MEDIA_MESSAGE_STALE)
    return StoredMessages(*listings, *media)


def quarantine(session: Session, now: datetime) -> list[QuarantineStatus]:
    record = QuarantinedRecord
    new = func.sum(case((record.first_seen_at >= now - NEW_WITHIN, 1), else_=0))
    again = func.sum(case((record.last_seen_at > record.first_seen_at, 1), else_=0))
    rows = session.execute(
        select(
            record.resource,
            func.count(),
            new,
            again,
            func.min(record.first_seen_at),
            func.max(record.last_seen_at),
        )
        .where(record.resolved_at.is_(None))
        .group_by(record.resource)
        .order_by(record.resource)
    ).all()
    return [
        QuarantineStatus(
            resource=resource,
            open=int(count),
            new=int(new_count or 0),
            still_open=int(count) - int(new_count or 0),
            seen_again=int(again_count or 0),
            first_seen_at=first,
            last_seen_at=last,
        )
        for resource, count, new_count, again_count, first, last in rows
    ]


def held_deletes(session: Session) -> list[HeldDeleteSummary]:
    rows = session.scalars(
        select(HeldDelete).where(HeldDelete.status == HeldDeleteStatus.HELD).order_by(HeldDelete.id)
    )
    return [
        HeldDeleteSummary(row.id, row.resource, len(row.keys), row.stored_count, row.created_at)
        for row in rows
    ]


def tokens(session: Session) -> list[TokenStatus]:
    return [
        TokenStatus(
            name=info.name,
            prefix=info.prefix,
            scopes=sorted(info.scopes),
            created_at=info.created_at,
            last_used_at=info.last_used_at,
            revoked_at=info.revoked_at,
        )
        for info in list_tokens(session)
    ]


def flow_runs_hint() -> str:
    """Where the flow runs are: the Prefect UI of PREFECT_API_URL, else the demo's."""
    api = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    where = f"{api.removesuffix('/api')}/runs" if api else f"{DEMO_PREFECT_UI}/runs under make demo"
    return f"Prefect flow runs are not in this database: see {where}, or `prefect flow-run ls`"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
