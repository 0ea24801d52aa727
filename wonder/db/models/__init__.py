"""The operational database: every table the platform writes, one module per area.

Importing this package registers every table on ``Base.metadata`` (Alembic's target); a new
slice adds its module here and re-exports its models.
"""

from wonder.db.enums import ChangeKind, HeldDeleteStatus, HistoryField, InboxStatus
from wonder.db.models.auth import ApiToken
from wonder.db.models.ingest import HeldDelete, IngestCursor, QuarantinedRecord
from wonder.db.models.listings import (
    Listing,
    ListingChange,
    ListingHistory,
    ListingMedia,
    Member,
    Office,
)
from wonder.db.models.webhooks import WebhookInboxEvent

__all__ = [
    "ApiToken",
    "ChangeKind",
    "HeldDelete",
    "HeldDeleteStatus",
    "HistoryField",
    "InboxStatus",
    "IngestCursor",
    "Listing",
    "ListingChange",
    "ListingHistory",
    "ListingMedia",
    "Member",
    "Office",
    "QuarantinedRecord",
    "WebhookInboxEvent",
]
