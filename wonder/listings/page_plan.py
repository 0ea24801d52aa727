"""One page of source records planned for writing: pure, no database.

:func:`prepare_property_page` normalizes a page (and may run ahead of the writes, on the read-ahead
thread); :func:`plan_property_page` compares it with what the store holds and says every row,
change-feed entry, history entry and media replacement to write. ``page_apply`` writes it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from wonder.db.models import ChangeKind
from wonder.ingest.quarantine import QuarantineEntry, entry_for
from wonder.listings.changes import (
    Action,
    HistoryEntry,
    MediaAction,
    StoredListing,
    decide,
    decide_media,
    deleted_at_after,
    first_seen,
)
from wonder.listings.normalize import (
    MEDIA_NAVIGATION,
    NormalizedListing,
    NormalizedMedia,
    Rejected,
    normalize_media,
    normalize_property,
)
from wonder.listings.ports import MEDIA, PROPERTY
from wonder.listings.report import IngestReport

logger = logging.getLogger("wonder.listings.service")


@dataclass
class PageWrites:
    """What one page changed (the report's counts) and the records it quarantines."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    media_refreshed: int = 0
    history_rows: int = 0
    quarantine: list[QuarantineEntry] = field(default_factory=list)

    def add_to(self, report: IngestReport) -> None:
        """Add every count to the report's counter of the same name."""
        for counter in fields(self):
            if counter.type == "int":
                name = counter.name
                setattr(report, name, getattr(report, name) + getattr(self, name))

    def reject(self, resource: str, raw: Any, rejected: Rejected) -> None:
        """Quarantine one record the normalizer refused (and say so in the log)."""
        self.quarantined += 1
        self.quarantine.append(entry_for(resource, rejected.key, rejected.reason, raw))
        logger.warning(
            "quarantined %s %s: %s", resource, rejected.key or "(no key)", rejected.reason
        )


@dataclass(frozen=True)
class PreparedPage:
    """A page of Property records normalized.

    ``expanded`` holds each accepted listing's expanded media, each item with its normalized
    form or rejection (None: the record came without a Media array).
    """

    rejected: list[tuple[Any, Rejected]]
    accepted: dict[str, NormalizedListing]
    expanded: dict[str, list[tuple[Any, NormalizedMedia | Rejected]] | None]


def prepare_property_page(records: Sequence[dict[str, Any]]) -> PreparedPage:
    rejected: list[tuple[Any, Rejected]] = []
    accepted: dict[str, NormalizedListing] = {}
    media_of: dict[str, list[Any] | None] = {}
    for raw in records:
        result = normalize_property(raw)
        if isinstance(result, Rejected):
            rejected.append((raw, result))
            continue
        previous = accepted.get(result.listing_key)
        if previous is None or result.modification_timestamp >= previous.modification_timestamp:
            accepted[result.listing_key] = result
            media = raw.get(MEDIA_NAVIGATION)
            media_of[result.listing_key] = media if isinstance(media, list) else None
    expanded = {
        key: None
        if items is None
        else [(item, normalize_media(item, listing_key=key)) for item in items]
        for key, items in media_of.items()
    }
    return PreparedPage(rejected, accepted, expanded)


@dataclass
class PropertyPagePlan:
    """Everything one Property page writes, decided against the stored states."""

    writes: PageWrites
    rows: list[dict[str, Any]]
    changes: list[tuple[str, ChangeKind]]
    history: list[HistoryEntry]
    # Listings whose media are replaced, with the media; and, among them, those whose row is
    # unchanged (only their media-synced mark moves), with the PhotosChangeTimestamp read.
    media_for: dict[str, list[NormalizedMedia]]
    media_only: dict[str, datetime | None]


def plan_property_page(
    page: PreparedPage, stored: dict[str, StoredListing], now: datetime
) -> PropertyPagePlan:
    plan = PropertyPagePlan(PageWrites(), [], [], [], {}, {})
    writes = plan.writes
    for raw, rejected in page.rejected:
        writes.reject(PROPERTY, raw, rejected)
    for key, listing in page.accepted.items():
        current = stored.get(key)
        decision = decide(current, listing)
        media_action, media = _expanded_media(writes, listing, current, page.expanded[key])
        if decision.action is Action.UNCHANGED:
            writes.unchanged += 1
            same_version = (
                current is not None
                and current.modification_timestamp == listing.modification_timestamp
            )
            if media_action is MediaAction.REPLACE and same_version:
                plan.media_for[key] = media
                plan.media_only[key] = listing.photos_change_timestamp
            continue
        if media_action is MediaAction.REPLACE:
            plan.media_for[key] = media
            synced = listing.photos_change_timestamp
        else:
            synced = current.media_synced_timestamp if current is not None else None
        if decision.deletes:
            writes.deleted += 1
        elif decision.action is Action.INSERT:
            writes.inserted += 1
        else:
            writes.updated += 1
        plan.history.extend(decision.history)
        plan.changes.append((key, ChangeKind.DELETE if listing.is_delete else ChangeKind.UPSERT))
        plan.rows.append(
            {
                **listing.columns(),
                "raw": listing.raw,
                "media_synced_timestamp": synced,
                "deleted_at": deleted_at_after(current, listing, now),
                # The row keeps its first value; the stored message must say the same.
                "first_seen_at": first_seen(current, now),
                "updated_at": now,
            }
        )
    plan.changes.extend((key, ChangeKind.UPSERT) for key in plan.media_only)
    return plan


def _expanded_media(
    writes: PageWrites,
    listing: NormalizedListing,
    current: StoredListing | None,
    items: list[tuple[Any, NormalizedMedia | Rejected]] | None,
) -> tuple[MediaAction, list[NormalizedMedia]]:
    """The media that came expanded in a listing, and whether they replace what we hold."""
    action = decide_media(
        current.media_synced_timestamp if current is not None else None,
        current is not None,
        listing.photos_change_timestamp,
        listing.photos_count,
        None if items is None else len(items),
    )
    if action is not MediaAction.REPLACE or items is None:
        return action, []
    media: list[NormalizedMedia] = []
    for item, result in items:
        if isinstance(result, Rejected):
            writes.reject(MEDIA, item, result)
        else:
            media.append(result)
    return action, media
