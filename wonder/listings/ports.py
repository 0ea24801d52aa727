"""What the listing ingest needs from the outside: a source of OData pages and a store.

The service is written against these protocols only: ``wonder.clients.trestle.TrestleClient``
is the source in production, :class:`~wonder.listings.store.SqlListingStore` the store; tests
may pass in-memory fakes of either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from wonder.clients.odata import ODataQuery
from wonder.clients.trestle.pacing import QuotaSnapshot
from wonder.ingest.cursors import CursorState
from wonder.ingest.quarantine import QuarantineEntry
from wonder.listings.changes import HistoryEntry, StoredListing
from wonder.listings.normalize import NormalizedMedia
from wonder.listings.report import ProgressEvent

Progress = Callable[[ProgressEvent], None]
Clock = Callable[[], datetime]

# RESO resources and the cursors kept for them.
PROPERTY = "Property"
MEMBER = "Member"
OFFICE = "Office"
MEDIA = "Media"
FIRST_LOAD_CURSOR = "Property:first_load"
TIMESTAMP_FIELD = "ModificationTimestamp"

Position = tuple[datetime, str]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PageLike(Protocol):
    """One OData page (``wonder.clients.trestle.ODataPage``)."""

    @property
    def records(self) -> list[dict[str, Any]]: ...

    @property
    def next_link(self) -> str | None: ...


class ODataSource(Protocol):
    """What the ingest needs from ``wonder.clients.trestle.TrestleClient``."""

    def pages(
        self,
        resource: str,
        query: ODataQuery | None = None,
        *,
        replication: bool = False,
        follow_next_links: bool = True,
    ) -> Iterator[PageLike]: ...

    def resume(self, next_link: str) -> Iterator[PageLike]: ...

    @property
    def requests_made(self) -> int: ...

    @property
    def quota(self) -> QuotaSnapshot | None: ...


class PendingMediaLike(Protocol):
    """A listing whose media are older than its PhotosChangeTimestamp."""

    @property
    def listing_key(self) -> str: ...

    @property
    def photos_change_timestamp(self) -> datetime | None: ...

    @property
    def photos_count(self) -> int | None: ...


class ListingStore(Protocol):
    """The listing tables and the ingest state, inside one unit of work (never commits)."""

    def load_listing_states(self, keys: Iterable[str]) -> dict[str, StoredListing]: ...
    def append_changes(
        self, changes: Sequence[tuple[str, Any]], changed_at: datetime
    ) -> dict[str, int]: ...
    def upsert_listings(self, rows: Sequence[dict[str, Any]]) -> None: ...
    def replace_media(
        self, listing_keys: Sequence[str], media: Sequence[NormalizedMedia]
    ) -> int: ...
    def set_listing_media_synced(
        self, synced: dict[str, tuple[datetime | None, int]], now: datetime
    ) -> None: ...
    def insert_history(self, entries: Sequence[HistoryEntry], recorded_at: datetime) -> int: ...
    def pending_media(self) -> Sequence[PendingMediaLike]: ...
    def live_listing_keys(self, *, seen_before: datetime) -> list[str]: ...
    def soft_delete(self, keys: Sequence[str], now: datetime) -> int: ...
    def analyze(self) -> None: ...
    def load_hashes(
        self, resource: str, keys: Iterable[str]
    ) -> dict[str, tuple[datetime, str]]: ...
    def upsert_entities(self, resource: str, rows: Sequence[dict[str, Any]]) -> None: ...
    def get_cursor(self, name: str) -> CursorState | None: ...
    def save_cursor(
        self,
        name: str,
        *,
        modification_timestamp: datetime | None,
        last_key: str | None,
        state: dict[str, Any] | None = None,
        now: datetime,
    ) -> None: ...
    def quarantine(self, entries: Sequence[QuarantineEntry], now: datetime) -> None: ...
    def hold_deletes(
        self, resource: str, keys: Sequence[str], stored_count: int, now: datetime
    ) -> int: ...
    def apply_held_delete(self, held_id: int, now: datetime) -> int: ...
    def reject_held_delete(self, held_id: int, now: datetime) -> int: ...


# Opens one unit of work: the block's writes commit together when it ends without an error.
ListingUnits = Callable[[], AbstractContextManager[ListingStore]]
