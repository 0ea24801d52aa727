"""The read records carry every column the API can show, and nothing else."""

from __future__ import annotations

import pytest

from wonder.db.base import Base
from wonder.db.models import Listing, ListingChange, ListingHistory, ListingMedia, Member, Office
from wonder.listings.read_repository import (
    AgentRecord,
    ChangeRecord,
    HistoryRecord,
    ListingRecord,
    MediaRecord,
    OfficeRecord,
)

# Never read for the API as columns: the source documents, the ingest's own bookkeeping and the
# stored messages (read beside the columns, wonder.listings.rendered).
NOT_SHOWN = {
    "raw",
    "media_synced_timestamp",
    "api_basic",
    "api_seq",
    "api_version",
    "api_message",
}


@pytest.mark.parametrize(
    ("model", "record"),
    [
        (Listing, ListingRecord),
        (ListingMedia, MediaRecord),
        (Member, AgentRecord),
        (Office, OfficeRecord),
        (ListingHistory, HistoryRecord),
        (ListingChange, ChangeRecord),
    ],
)
def test_record_fields_follow_the_model(
    model: type[Base], record: type[tuple[object, ...]]
) -> None:
    columns = {attribute.key for attribute in model.__mapper__.column_attrs} - NOT_SHOWN
    assert set(record._fields) == columns  # type: ignore[attr-defined]
