"""The Gmail client: google-api-python-client over our retry loop and per-mailbox quota."""

from wonder.clients.gmail.client import GmailClient, HistoryExpired
from wonder.clients.gmail.records import (
    BatchResult,
    HistoryPage,
    MessageIds,
    ModifiedLabels,
    RawMessage,
)

__all__ = [
    "BatchResult",
    "GmailClient",
    "HistoryExpired",
    "HistoryPage",
    "MessageIds",
    "ModifiedLabels",
    "RawMessage",
]
