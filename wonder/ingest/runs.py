"""Runs of sync pipelines: one row per pipeline and resource, written by the caller in the
same transaction as the run's last page, so a run is recorded exactly when its work committed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from wonder.db.enums import SyncRunStatus
from wonder.db.models import SyncRun


@dataclass(frozen=True)
class RunRecord:
    pipeline: str
    resource: str
    started_at: datetime
    finished_at: datetime
    counts: Mapping[str, int] = field(default_factory=dict)
    status: SyncRunStatus = SyncRunStatus.SUCCEEDED
    error: str | None = None


def record_run(session: Session, run: RunRecord) -> None:
    """Add ``run`` to the session's transaction (it commits, or not, with the caller's work)."""
    session.add(
        SyncRun(
            pipeline=run.pipeline,
            resource=run.resource,
            started_at=run.started_at,
            finished_at=run.finished_at,
            status=run.status,
            counts=dict(run.counts),
            error=run.error,
        )
    )
