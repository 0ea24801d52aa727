"""Named cursors: where an incremental read of a resource stands, saved with the page it covers.

A keyset source (Trestle, Buildium's ``lastupdatedfrom``) stores its position as
(``modification_timestamp``, ``last_key``); other cursors (Gmail's ``historyId``, a first
load's high-water mark) live in ``state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from wonder.db.bulk import upsert
from wonder.db.models import IngestCursor

_CURSORS: Table = IngestCursor.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class CursorState:
    name: str
    modification_timestamp: datetime | None
    last_key: str | None
    state: dict[str, Any]


def get_cursor(session: Session, name: str) -> CursorState | None:
    row = session.get(IngestCursor, name)
    if row is None:
        return None
    return CursorState(row.name, row.modification_timestamp, row.last_key, dict(row.state or {}))


def save_cursor(
    session: Session,
    name: str,
    *,
    modification_timestamp: datetime | None,
    last_key: str | None,
    state: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    row = {
        "name": name,
        "modification_timestamp": modification_timestamp,
        "last_key": last_key,
        "state": state or {},
        "updated_at": now,
    }
    upsert(session, _CURSORS, [row], conflict=["name"])
