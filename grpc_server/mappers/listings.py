"""ListingService records -> wonder.v1 messages: history entries and change-feed entries.

Listings, media, agents and offices are mapped in :mod:`wonder.listings.messages`, which the
ingest shares.
"""

from __future__ import annotations

from wonder.listings.messages import listing_name
from wonder.listings.read_repository import ChangeRecord, HistoryRecord
from wonder.proto_values import timestamp
from wonder.v1 import listing_pb2, listing_service_pb2

_HISTORY_FIELDS = {
    "list_price": listing_pb2.ListingHistoryEntry.FIELD_LIST_PRICE,
    "standard_status": listing_pb2.ListingHistoryEntry.FIELD_STANDARD_STATUS,
}
_CHANGE_KINDS = {
    "upsert": listing_service_pb2.ListingChange.KIND_UPSERT,
    "delete": listing_service_pb2.ListingChange.KIND_DELETE,
}


def history_to_proto(row: HistoryRecord) -> listing_pb2.ListingHistoryEntry:
    return listing_pb2.ListingHistoryEntry(
        name=f"{listing_name(row.listing_key)}/history/{row.id}",
        field=_HISTORY_FIELDS.get(row.field, listing_pb2.ListingHistoryEntry.FIELD_UNSPECIFIED),
        old_value=row.old_value,
        new_value=row.new_value,
        change_time=timestamp(row.changed_at),
        record_time=timestamp(row.recorded_at),
    )


def change_to_proto(row: ChangeRecord) -> listing_service_pb2.ListingChange:
    """A change-feed entry; an upsert's ``listing`` is filled in place by the caller."""
    return listing_service_pb2.ListingChange(
        cursor=row.seq,
        kind=_CHANGE_KINDS.get(row.kind, listing_service_pb2.ListingChange.KIND_UNSPECIFIED),
        listing_name=listing_name(row.listing_key),
        change_time=timestamp(row.changed_at),
    )
