"""One emulated mailbox: messages, labels and the history log that records every change.

History ids grow with every change but skip numbers (Gmail's are not contiguous), and only the
newest ``retention`` records are kept: a ``startHistoryId`` older than the oldest kept record
is answered 404, as Gmail does once its history has expired.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

HistoryType = Literal["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
HISTORY_TYPES: tuple[HistoryType, ...] = (
    "messageAdded",
    "messageDeleted",
    "labelAdded",
    "labelRemoved",
)
SYSTEM_LABELS = (
    "INBOX",
    "SENT",
    "DRAFT",
    "SPAM",
    "TRASH",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    internal_date_ms: int
    label_ids: set[str]
    history_id: int
    # What the seed meant (category, listing, contact): test oracles only, never served.
    truth: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    type: HistoryType
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...]  # the labels added or removed (label records)
    labels_after: tuple[str, ...]  # the message's labels after the change


@dataclass
class Label:
    id: str
    name: str
    type: Literal["system", "user"]


class Mailbox:
    def __init__(self, address: str, rng: random.Random, retention: int) -> None:
        self.address = address
        self._rng = rng
        self.retention = retention
        self.messages: dict[str, StoredMessage] = {}
        self.history: list[HistoryRecord] = []
        self.history_id = rng.randint(1_000, 9_000)
        # The oldest start id still answered (every record after it is kept).
        self.oldest_valid_start = self.history_id
        self.labels: dict[str, Label] = {
            name: Label(name, name, "system") for name in SYSTEM_LABELS
        }
        self._next_user_label = 1
        self.watch: dict[str, Any] | None = None

    # ------------------------------------------------------------ changes

    def _record(self, type_: HistoryType, message: StoredMessage, labels: Iterable[str]) -> None:
        self.history_id += self._rng.randint(1, 7)
        message.history_id = self.history_id
        self.history.append(
            HistoryRecord(
                self.history_id,
                type_,
                message.id,
                message.thread_id,
                tuple(sorted(labels)),
                tuple(sorted(message.label_ids)),
            )
        )
        self.expire(self.retention)

    def add(self, message: StoredMessage) -> None:
        self.messages[message.id] = message
        self._record("messageAdded", message, ())

    def modify(self, message_id: str, add: Iterable[str], remove: Iterable[str]) -> StoredMessage:
        message = self.messages[message_id]
        added = set(add) - message.label_ids
        removed = set(remove) & message.label_ids
        message.label_ids |= added
        message.label_ids -= removed
        if added:
            self._record("labelAdded", message, added)
        if removed:
            self._record("labelRemoved", message, removed)
        return message

    def delete(self, message_id: str) -> None:
        message = self.messages.pop(message_id)
        self._record("messageDeleted", message, ())

    def expire(self, keep: int) -> None:
        """Keep only the newest ``keep`` history records; older start ids become 404s."""
        if len(self.history) > keep:
            dropped = self.history[: len(self.history) - keep]
            self.history = self.history[len(self.history) - keep :]
            self.oldest_valid_start = dropped[-1].id

    def create_label(self, name: str) -> Label:
        if any(label.name.lower() == name.lower() for label in self.labels.values()):
            raise ValueError(name)
        label = Label(f"Label_{self._next_user_label}", name, "user")
        self._next_user_label += 1
        self.labels[label.id] = label
        return label

    # ------------------------------------------------------------ reads

    def newest_first(self) -> Iterator[StoredMessage]:
        return iter(
            sorted(self.messages.values(), key=lambda m: (m.internal_date_ms, m.id), reverse=True)
        )

    def history_after(self, start: int) -> list[HistoryRecord]:
        """Records with an id above ``start`` (``start`` must not be expired)."""
        return [record for record in self.history if record.id > start]

    def expired(self, start: int) -> bool:
        return start < self.oldest_valid_start
