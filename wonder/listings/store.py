"""The listing store on SQL (both dialects), and the unit of work that commits it.

:class:`SqlListingStore` binds the repository functions (``wonder.listings.repository``) and the
shared ingest state (``wonder.ingest``) to one session; :func:`sql_units` opens a transaction per
block (``wonder.db.uow.unit_of_work``), so the service decides *when* a page commits and this
module *how*.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from wonder.db.models import ChangeKind
from wonder.db.uow import unit_of_work
from wonder.ingest import held_deletes
from wonder.ingest.session_state import IngestStateOnSession
from wonder.listings import repository as repo
from wonder.listings.changes import HistoryEntry, StoredListing
from wonder.listings.normalize import NormalizedMedia
from wonder.listings.ports import MEMBER, OFFICE, ListingUnits

_HASHES = {MEMBER: repo.load_member_hashes, OFFICE: repo.load_office_hashes}
_UPSERTS = {MEMBER: repo.upsert_members, OFFICE: repo.upsert_offices}


class SqlListingStore(IngestStateOnSession):
    """:class:`~wonder.listings.ports.ListingStore` over one SQLAlchemy session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Listing keys this transaction looked up and found absent: until upsert_listings
        # stores them their rows can be COPYed straight in, and until replace_media writes
        # their media they hold none to delete (media need their listing's row to exist).
        self._absent: set[str] = set()
        self._without_media: set[str] = set()

    def load_listing_states(self, keys: Iterable[str]) -> dict[str, StoredListing]:
        wanted = list(keys)
        found = repo.load_listing_states(self.session, wanted)
        absent = [key for key in wanted if key not in found]
        self._absent.update(absent)
        self._without_media.update(absent)
        return found

    def append_changes(
        self, changes: Sequence[tuple[str, ChangeKind]], changed_at: datetime
    ) -> dict[str, int]:
        return repo.append_changes(self.session, changes, changed_at)

    def upsert_listings(self, rows: Sequence[dict[str, Any]]) -> None:
        keys = [row["listing_key"] for row in rows]
        if not self._absent.issuperset(keys):
            repo.upsert_listings(self.session, rows)
        elif not repo.upsert_listings(self.session, rows, believed_new=True):
            self._without_media.difference_update(keys)  # stored meanwhile: may hold media
        self._absent.difference_update(keys)

    def replace_media(self, listing_keys: Sequence[str], media: Sequence[NormalizedMedia]) -> int:
        new = self._without_media.issuperset(listing_keys)
        written = repo.replace_media(self.session, listing_keys, media, listings_new=new)
        self._without_media.difference_update(listing_keys)
        return written

    def set_listing_media_synced(
        self, synced: dict[str, tuple[datetime | None, int]], now: datetime
    ) -> None:
        repo.set_listing_media_synced(self.session, synced, now)

    def insert_history(self, entries: Sequence[HistoryEntry], recorded_at: datetime) -> int:
        return repo.insert_history(self.session, entries, recorded_at)

    def pending_media(self) -> list[repo.PendingMedia]:
        return repo.pending_media(self.session)

    def live_listing_keys(self, *, seen_before: datetime) -> list[str]:
        return repo.live_listing_keys(self.session, seen_before=seen_before)

    def soft_delete(self, keys: Sequence[str], now: datetime) -> int:
        return repo.soft_delete(self.session, keys, now)

    def analyze(self) -> None:
        repo.analyze_listing_tables(self.session)

    def load_hashes(self, resource: str, keys: Iterable[str]) -> dict[str, tuple[datetime, str]]:
        return _HASHES[resource](self.session, keys)

    def upsert_entities(self, resource: str, rows: Sequence[dict[str, Any]]) -> None:
        _UPSERTS[resource](self.session, rows)

    def apply_held_delete(self, held_id: int, now: datetime) -> int:
        return held_deletes.apply(self.session, held_id, repo.soft_delete, now)

    def reject_held_delete(self, held_id: int, now: datetime) -> int:
        return held_deletes.reject(self.session, held_id, now)


def sql_units(sessions: sessionmaker[Session]) -> ListingUnits:
    """Units of work on ``sessions``: each block is one transaction, committed at its end."""

    @contextmanager
    def unit() -> Iterator[SqlListingStore]:
        with unit_of_work(sessions) as session:
            yield SqlListingStore(session)

    return unit


def as_units(store: sessionmaker[Session] | ListingUnits) -> ListingUnits:
    """A session factory is the SQL store; anything else is taken to be units of work already."""
    return sql_units(store) if isinstance(store, sessionmaker) else store
