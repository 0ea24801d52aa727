"""The shared ingest state (cursors, quarantine, held deletes) as methods of a slice's store.

A slice's SQL store is one unit of work's ``session``; mixing this in gives it the ingest-state
half of its port once, the same for every slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from wonder.ingest import cursors, held_deletes, quarantine
from wonder.ingest.cursors import CursorState
from wonder.ingest.quarantine import QuarantineEntry


class IngestStateOnSession:
    session: Session

    def get_cursor(self, name: str) -> CursorState | None:
        return cursors.get_cursor(self.session, name)

    def save_cursor(
        self,
        name: str,
        *,
        modification_timestamp: datetime | None,
        last_key: str | None,
        state: dict[str, Any] | None = None,
        now: datetime,
    ) -> None:
        cursors.save_cursor(
            self.session,
            name,
            modification_timestamp=modification_timestamp,
            last_key=last_key,
            state=state,
            now=now,
        )

    def quarantine(self, entries: Sequence[QuarantineEntry], now: datetime) -> None:
        quarantine.quarantine(self.session, entries, now)

    def hold_deletes(
        self, resource: str, keys: Sequence[str], stored_count: int, now: datetime
    ) -> int:
        return held_deletes.hold_deletes(self.session, resource, keys, stored_count, now)
