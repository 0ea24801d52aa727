"""Ingest state every slice shares: cursors, the quarantine of bad records, held deletes.

A page of data and the cursor that covers it commit in one transaction, so a crash resumes
where the last committed page ended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wonder.db.base import Base
from wonder.db.enums import HeldDeleteStatus, SyncRunStatus
from wonder.db.types import BigId, JsonDocument, UTCDateTime, str_enum


class IngestCursor(Base):
    """Where an incremental ingest of one resource stands: (timestamp, key) keyset position."""

    __tablename__ = "ingest_cursors"

    # e.g. 'Property', 'Member', 'Office', 'Property:replication', 'gmail:agent@example.com'
    name: Mapped[str] = mapped_column(String(320), primary_key=True)
    modification_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_key: Mapped[str | None] = mapped_column(String(64))
    # Free-form state (e.g. the high-water mark a first load started from).
    state: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuarantinedRecord(Base):
    """A source record the ingest could not accept, kept with the reason; never silently lost."""

    __tablename__ = "ingest_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(32))
    record_key: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # sha256 of the canonical raw record: the same bad record quarantined twice is one row.
    payload_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("resource", "payload_hash", name="uq_ingest_quarantine_payload"),
        Index("ix_ingest_quarantine_resource_key", "resource", "record_key"),
    )


class HeldDelete(Base):
    """A census that wanted to delete more than the mass-delete guard allows, awaiting approval."""

    __tablename__ = "held_deletes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(32))
    keys: Mapped[list[str]] = mapped_column(JsonDocument)
    stored_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[HeldDeleteStatus] = mapped_column(
        str_enum(HeldDeleteStatus, 16), default=HeldDeleteStatus.HELD
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncRun(Base):
    """One run of a sync pipeline over one resource (``wonder.ingest.runs``), recorded in the
    transaction of its last page, so a run is here exactly when its work is committed."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # e.g. 'buildium:mirror', 'buildium:reconcile'
    pipeline: Mapped[str] = mapped_column(String(64))
    # e.g. 'buildium:leases' (the cursor's name)
    resource: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[SyncRunStatus] = mapped_column(str_enum(SyncRunStatus, 16))
    # What the run did, e.g. {"fetched": 250, "written": 3}.
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sync_runs_resource_finished", "resource", "finished_at"),)
