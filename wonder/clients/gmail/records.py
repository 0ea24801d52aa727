"""What the Gmail client returns: plain typed values, never the library's dicts."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MessageIds:
    ids: tuple[tuple[str, str], ...]  # (message id, thread id)
    next_page_token: str | None


@dataclass(frozen=True)
class RawMessage:
    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    history_id: int
    internal_date_ms: int
    size_estimate: int
    raw: bytes

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> RawMessage:
        return cls(
            id=str(resource["id"]),
            thread_id=str(resource["threadId"]),
            label_ids=tuple(resource.get("labelIds", ())),
            history_id=int(resource["historyId"]),
            internal_date_ms=int(resource["internalDate"]),
            size_estimate=int(resource.get("sizeEstimate", 0)),
            raw=base64.urlsafe_b64decode(str(resource["raw"]).encode() + b"=="),
        )


@dataclass(frozen=True)
class ModifiedLabels:
    """What ``messages.modify`` answers: the message's labels after the change."""

    id: str
    thread_id: str
    label_ids: tuple[str, ...]
    history_id: int

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> ModifiedLabels:
        return cls(
            id=str(resource["id"]),
            thread_id=str(resource.get("threadId", "")),
            label_ids=tuple(sorted(resource.get("labelIds", ()))),
            history_id=int(resource["historyId"]),
        )


@dataclass(frozen=True)
class BatchResult:
    """One batch of gets: what came back, what may be asked again, what is gone."""

    messages: tuple[RawMessage, ...]
    # Rate-limited or failed server-side: re-queue them (never report them done).
    retry: tuple[str, ...]
    rate_limited: int
    # 404: deleted between the list and the get.
    missing: tuple[str, ...]


@dataclass(frozen=True)
class HistoryChange:
    history_id: int
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...]  # labels added/removed, or the message's labels when added


@dataclass(frozen=True)
class HistoryPage:
    changes: tuple[HistoryChange, ...]
    next_page_token: str | None
    # The mailbox's current history id (store it after the last page).
    history_id: int
    extra: dict[str, Any] = field(default_factory=dict)


_KINDS = (
    ("messagesAdded", "messageAdded"),
    ("messagesDeleted", "messageDeleted"),
    ("labelsAdded", "labelAdded"),
    ("labelsRemoved", "labelRemoved"),
)


def history_changes(entry: dict[str, Any]) -> list[HistoryChange]:
    changes: list[HistoryChange] = []
    history_id = int(entry["id"])
    for key, kind in _KINDS:
        for item in entry.get(key, ()):
            message = item.get("message", {})
            labels = item.get("labelIds") if kind.startswith("label") else message.get("labelIds")
            changes.append(
                HistoryChange(
                    history_id,
                    kind,
                    str(message.get("id")),
                    str(message.get("threadId")),
                    tuple(labels or ()),
                )
            )
    return changes
