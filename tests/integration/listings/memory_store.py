"""An in-memory ListingStore: the service's walks and cursors run without a database.

Units of work are real: a unit works on a copy of the state and only a block that ends without
an error replaces the state with it, so a crash mid-unit leaves what the last commit left.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wonder.ingest.cursors import CursorState
from wonder.ingest.hashing import content_hash
from wonder.ingest.quarantine import QuarantineEntry
from wonder.listings.changes import HistoryEntry, StoredListing
from wonder.listings.normalize import NormalizedMedia
from wonder.listings.ports import ListingStore
from wonder.listings.repository import PendingMedia


@dataclass
class MemoryState:
    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    media: dict[str, list[NormalizedMedia]] = field(default_factory=dict)
    history: set[tuple[str, str, datetime, str | None]] = field(default_factory=set)
    entities: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    cursors: dict[str, CursorState] = field(default_factory=dict)
    quarantine: dict[tuple[str, str], QuarantineEntry] = field(default_factory=dict)
    commits: int = 0


class MemoryStore:
    """:class:`~wonder.listings.ports.ListingStore` over a :class:`MemoryState`."""

    def __init__(self, state: MemoryState) -> None:
        self.state = state

    def load_listing_states(self, keys: Iterable[str]) -> dict[str, StoredListing]:
        found = {}
        for key in keys:
            row = self.state.listings.get(key)
            if row is not None:
                found[key] = StoredListing(
                    listing_key=key,
                    modification_timestamp=row["modification_timestamp"],
                    content_hash=content_hash(row["raw"]),
                    list_price=row["list_price"],
                    standard_status=row["standard_status"],
                    deleted_at=row["deleted_at"],
                    photos_change_timestamp=row["photos_change_timestamp"],
                    media_synced_timestamp=row["media_synced_timestamp"],
                    first_seen_at=row["first_seen_at"],
                )
        return found

    def append_changes(
        self, changes: Sequence[tuple[str, Any]], changed_at: datetime
    ) -> dict[str, int]:
        seqs = {}
        for key, kind in changes:
            seq = len(self.state.changes) + 1
            self.state.changes.append((seq, key, str(kind)))
            seqs[key] = seq
        return seqs

    def upsert_listings(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            previous = self.state.listings.get(row["listing_key"])
            first_seen = previous["first_seen_at"] if previous else row["first_seen_at"]
            self.state.listings[row["listing_key"]] = {**row, "first_seen_at": first_seen}

    def replace_media(self, listing_keys: Sequence[str], media: Sequence[NormalizedMedia]) -> int:
        for key in listing_keys:
            self.state.media[key] = []
        for item in media:
            self.state.media[item.listing_key].append(item)
        return len(media)

    def set_listing_media_synced(
        self, synced: dict[str, tuple[datetime | None, int]], now: datetime
    ) -> None:
        for key, (timestamp, seq) in synced.items():
            row = self.state.listings[key]
            row.update(media_synced_timestamp=timestamp, change_seq=seq, updated_at=now)

    def insert_history(self, entries: Sequence[HistoryEntry], recorded_at: datetime) -> int:
        before = len(self.state.history)
        self.state.history |= {
            (e.listing_key, str(e.field), e.changed_at, e.new_value) for e in entries
        }
        return len(self.state.history) - before

    def pending_media(self) -> list[PendingMedia]:
        return [
            PendingMedia(key, row["photos_change_timestamp"], row["photos_count"])
            for key, row in sorted(self.state.listings.items())
            if row["deleted_at"] is None
            and row["photos_change_timestamp"] != row["media_synced_timestamp"]
        ]

    def live_listing_keys(self, *, seen_before: datetime) -> list[str]:
        return [
            key
            for key, row in self.state.listings.items()
            if row["deleted_at"] is None and row["first_seen_at"] < seen_before
        ]

    def soft_delete(self, keys: Sequence[str], now: datetime) -> int:
        live = [k for k in keys if self.state.listings[k]["deleted_at"] is None]
        seqs = self.append_changes([(k, "delete") for k in live], now)
        for key in live:
            self.state.listings[key].update(deleted_at=now, change_seq=seqs[key])
        return len(live)

    def analyze(self) -> None:
        pass

    def load_hashes(self, resource: str, keys: Iterable[str]) -> dict[str, tuple[datetime, str]]:
        rows = self.state.entities.get(resource, {})
        return {
            key: (rows[key]["modification_timestamp"], content_hash(rows[key]["raw"]))
            for key in keys
            if key in rows
        }

    def upsert_entities(self, resource: str, rows: Sequence[dict[str, Any]]) -> None:
        key_field = {"Member": "member_key", "Office": "office_key"}[resource]
        stored = self.state.entities.setdefault(resource, {})
        for row in rows:
            stored[row[key_field]] = dict(row)

    def get_cursor(self, name: str) -> CursorState | None:
        return self.state.cursors.get(name)

    def save_cursor(
        self,
        name: str,
        *,
        modification_timestamp: datetime | None,
        last_key: str | None,
        state: dict[str, Any] | None = None,
        now: datetime,
    ) -> None:
        self.state.cursors[name] = CursorState(
            name, modification_timestamp, last_key, dict(state or {})
        )

    def quarantine(self, entries: Sequence[QuarantineEntry], now: datetime) -> None:
        for entry in entries:
            self.state.quarantine.setdefault((entry.resource, entry.payload_hash), entry)

    def hold_deletes(
        self, resource: str, keys: Sequence[str], stored_count: int, now: datetime
    ) -> int:
        raise NotImplementedError("held deletes are tested on the SQL store")

    def apply_held_delete(self, held_id: int, now: datetime) -> int:
        raise NotImplementedError("held deletes are tested on the SQL store")

    def reject_held_delete(self, held_id: int, now: datetime) -> int:
        raise NotImplementedError("held deletes are tested on the SQL store")


class MemoryUnits:
    """Units of work over one shared state: each commits a deep copy when its block succeeds."""

    def __init__(self) -> None:
        self.state = MemoryState()

    @contextmanager
    def __call__(self) -> Iterator[ListingStore]:
        working = copy.deepcopy(self.state)
        yield MemoryStore(working)
        working.commits += 1
        self.state = working
