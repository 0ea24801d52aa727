"""Stored vs incoming listing → what to write. Pure.

The overlap window of an incremental run re-reads records we already hold; those must cost no
write, no history row and no change-feed row, so "unchanged" is decided here, before any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from wonder.db.models import HistoryField
from wonder.listings.normalize import NormalizedListing


@dataclass(frozen=True)
class StoredListing:
    """The part of a stored listing the ingest compares against."""

    listing_key: str
    modification_timestamp: datetime
    content_hash: str
    list_price: Decimal | None
    standard_status: str | None
    deleted_at: datetime | None
    photos_change_timestamp: datetime | None
    media_synced_timestamp: datetime | None
    first_seen_at: datetime | None = None


class Action(Enum):
    INSERT = "insert"
    UPDATE = "update"
    # Same record again (overlap window, replay) or an older version than we hold.
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class HistoryEntry:
    listing_key: str
    field: HistoryField
    old_value: str | None
    new_value: str | None
    changed_at: datetime


@dataclass(frozen=True)
class ListingDecision:
    action: Action
    history: tuple[HistoryEntry, ...] = ()
    # True when this write soft-deletes the listing (StandardStatus 'Delete').
    deletes: bool = False


def decide(stored: StoredListing | None, incoming: NormalizedListing) -> ListingDecision:
    """Insert, update or leave alone; with the price/status history the change carries."""
    if stored is None:
        return ListingDecision(Action.INSERT, deletes=incoming.is_delete)
    if incoming.modification_timestamp < stored.modification_timestamp:
        return ListingDecision(Action.UNCHANGED)  # never regress to an older version
    if incoming.content_hash == stored.content_hash:
        return ListingDecision(Action.UNCHANGED)
    history: list[HistoryEntry] = []
    if incoming.list_price != stored.list_price:
        history.append(
            HistoryEntry(
                incoming.listing_key,
                HistoryField.LIST_PRICE,
                money_text(stored.list_price),
                money_text(incoming.list_price),
                incoming.modification_timestamp,
            )
        )
    if incoming.standard_status != stored.standard_status:
        history.append(
            HistoryEntry(
                incoming.listing_key,
                HistoryField.STANDARD_STATUS,
                stored.standard_status,
                incoming.standard_status,
                incoming.modification_timestamp,
            )
        )
    return ListingDecision(
        Action.UPDATE,
        tuple(history),
        deletes=incoming.is_delete and stored.deleted_at is None,
    )


def deleted_at_after(
    stored: StoredListing | None, incoming: NormalizedListing, now: datetime
) -> datetime | None:
    """A 'Delete' status stamps deleted_at once; any other status brings the listing back."""
    if not incoming.is_delete:
        return None
    if stored is not None and stored.deleted_at is not None:
        return stored.deleted_at
    return now


def first_seen(stored: StoredListing | None, now: datetime) -> datetime:
    """When we first saw the listing: kept from the stored row, ``now`` for a new one."""
    if stored is not None and stored.first_seen_at is not None:
        return stored.first_seen_at
    return now


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


class MediaAction(Enum):
    # Nothing to do: no media came with the record, or we already hold this version.
    KEEP = "keep"
    REPLACE = "replace"
    # PhotosCount > 0 but the source sent no media (it does that under load): keep the old media
    # and leave media_synced_timestamp alone so the next run asks again.
    REFETCH_LATER = "refetch_later"


def decide_media(
    stored_synced: datetime | None,
    stored_exists: bool,
    photos_change_timestamp: datetime | None,
    photos_count: int | None,
    media_count: int | None,
) -> MediaAction:
    """What to do with the media read for one listing (``media_count`` None: none were read)."""
    if media_count is None:
        return MediaAction.KEEP
    if stored_exists and stored_synced == photos_change_timestamp and stored_synced is not None:
        return MediaAction.KEEP
    if media_count == 0 and (photos_count or 0) > 0:
        return MediaAction.REFETCH_LATER
    return MediaAction.REPLACE
