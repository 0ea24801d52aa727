"""The API representation of listings and photos, rendered once when the row is written.

Mapping a listing's columns to a ``wonder.v1.Listing`` costs 8 µs (BASIC) to 43 µs (FULL, with
12 photos) of the read path's CPU per listing; parsing the same message from stored bytes costs
about 1 µs, in C. So the ingest stores, beside each listing, its BASIC message (the FULL view
adds the public remarks, read as a column, and the media, agent and office, which live in their
own rows and change on their own), and beside each photo its ``ListingMedia``. The read path
(``read_repository``) uses them only while they are current and maps the columns otherwise, so a
write that does not render can never make the API show stale data: it only makes that row slower
to read (and migration 0008's trigger drops a message an UPDATE leaves behind its columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from wonder.listings.api_version import RENDER_VERSION
from wonder.listings.messages import listing_to_proto, media_to_proto
from wonder.listings.normalize import NormalizedMedia
from wonder.listings.read_repository import ListingRecord, MediaRecord
from wonder.proto_values import set_timestamp
from wonder.v1 import listing_pb2


def listing_message(row: Mapping[str, Any]) -> bytes:
    """A listing row's BASIC message, serialized (every column of :class:`ListingRecord` set;
    amounts are already in cents: the field reader refuses more decimals and quantizes)."""
    record = ListingRecord._make(row[name] for name in ListingRecord._fields)
    return listing_to_proto(record, full=False).SerializeToString()


def rendered_listing(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``api_*`` columns of a listing row about to be written (``change_seq`` included)."""
    return {
        "api_basic": listing_message(row),
        "api_seq": row["change_seq"],
        "api_version": RENDER_VERSION,
    }


def restamped(
    stored: bytes, *, change_seq: int, updated_at: datetime, deleted_at: datetime | None = None
) -> bytes:
    """A stored listing message after a write that only moves its change-feed position and
    update time (and, for a soft delete, stamps its delete time): the rest is unchanged."""
    message = listing_pb2.Listing.FromString(stored)
    message.change_cursor = change_seq
    set_timestamp(message.update_time, updated_at)
    set_timestamp(message.delete_time, deleted_at)
    return message.SerializeToString()


def rendered_media(item: NormalizedMedia | MediaRecord) -> bytes:
    """A photo's ``ListingMedia`` message, serialized (from the ingest's record or the row's)."""
    return media_to_proto(item).SerializeToString()
