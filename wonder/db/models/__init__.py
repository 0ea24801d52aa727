"""The operational database: every table the platform writes, one module per area.

Importing this package registers every table on ``Base.metadata`` (Alembic's target); a new
slice adds its module here and re-exports its models.
"""

from wonder.db.enums import (
    BalanceScope,
    ChangeKind,
    GLAccountType,
    HeldDeleteStatus,
    HistoryField,
    InboxStatus,
    LabelChangeKind,
    LeaseStatus,
    LeaseTenantStatus,
    LeaseTransactionType,
    ReconciliationStatus,
    SyncRunStatus,
)
from wonder.db.models.auth import ApiToken
from wonder.db.models.buildium import (
    BalanceSheetRow,
    BuildiumGLAccount,
    BuildiumLease,
    BuildiumLeaseTenant,
    BuildiumLeaseTransaction,
    BuildiumLeaseTransactionLine,
    BuildiumOwner,
    BuildiumOwnerRental,
    BuildiumRental,
    BuildiumTenant,
    BuildiumUnit,
    ReconciliationLease,
    ReconciliationRun,
)
from wonder.db.models.ingest import HeldDelete, IngestCursor, QuarantinedRecord, SyncRun
from wonder.db.models.listings import (
    Listing,
    ListingChange,
    ListingHistory,
    ListingMedia,
    Member,
    Office,
)
from wonder.db.models.mail import (
    MailAttachment,
    MailFetchQueue,
    MailLabelChange,
    MailLink,
    MailMessage,
    MailMessageChange,
)
from wonder.db.models.webhooks import WebhookInboxEvent

__all__ = [
    "ApiToken",
    "BalanceScope",
    "BalanceSheetRow",
    "BuildiumGLAccount",
    "BuildiumLease",
    "BuildiumLeaseTenant",
    "BuildiumLeaseTransaction",
    "BuildiumLeaseTransactionLine",
    "BuildiumOwner",
    "BuildiumOwnerRental",
    "BuildiumRental",
    "BuildiumTenant",
    "BuildiumUnit",
    "ChangeKind",
    "GLAccountType",
    "HeldDelete",
    "HeldDeleteStatus",
    "HistoryField",
    "InboxStatus",
    "IngestCursor",
    "LabelChangeKind",
    "LeaseStatus",
    "LeaseTenantStatus",
    "LeaseTransactionType",
    "Listing",
    "ListingChange",
    "ListingHistory",
    "ListingMedia",
    "MailAttachment",
    "MailFetchQueue",
    "MailLabelChange",
    "MailLink",
    "MailMessage",
    "MailMessageChange",
    "Member",
    "Office",
    "QuarantinedRecord",
    "ReconciliationLease",
    "ReconciliationRun",
    "ReconciliationStatus",
    "SyncRun",
    "SyncRunStatus",
    "WebhookInboxEvent",
]
