"""Messages grouped into threads (pure).

Gmail's threadId decides when a message has one: two Gmail threads are never merged. A message
without one joins the thread of any message it names in References or In-Reply-To, or that
names it (a union of the reply graph, so a missing middle message still joins both ends). A
message with no reply headers at all whose subject says it is a reply or a forward ("Re:",
"Fwd:", "AW:", "SV:", ...) joins the earliest thread with the same normalized subject; any other
message starts its own thread (two unrelated mails both titled "Hello" stay apart).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from wonder.mail.message import ParsedMessage

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|ref|tr|rif|r)\s*(?:\[\d+\])?\s*[:\uff1a]\s*"
    r"|\[[^\]]{1,40}\]\s*)+",
    re.IGNORECASE,
)
_IS_REPLY = re.compile(
    r"^\s*(?:\[[^\]]{1,40}\]\s*)*(?:re|fw|fwd|aw|wg|sv|vs|antw)\s*(?:\[\d+\])?\s*[:\uff1a]",
    re.IGNORECASE,
)
_EPOCH = datetime.min.replace(tzinfo=UTC)


def normalize_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags, case and spacing folded."""
    return " ".join(_REPLY_PREFIX.sub("", subject).split()).casefold()


@dataclass(frozen=True, slots=True)
class Thread:
    """``key`` is the Gmail threadId, else the Message-ID of the thread's first message, else
    ``#<index>`` of that message in the input; messages are oldest first."""

    key: str
    messages: tuple[ParsedMessage, ...]


class _Groups:
    """Union-find over message indexes that never joins two different Gmail threads."""

    def __init__(self, messages: Sequence[ParsedMessage]) -> None:
        self.parent = list(range(len(messages)))
        self.gmail: list[str | None] = [m.thread_id for m in messages]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        ga, gb = self.gmail[ra], self.gmail[rb]
        if ga is not None and gb is not None and ga != gb:
            return
        self.parent[rb] = ra
        self.gmail[ra] = ga or gb


def group_threads(messages: Sequence[ParsedMessage]) -> list[Thread]:
    """Every message in exactly one thread; threads ordered by their first message."""
    groups = _Groups(messages)
    by_gmail: dict[str, int] = {}
    by_id: dict[str, int] = {}
    for i, message in enumerate(messages):
        if message.thread_id is not None:
            groups.union(by_gmail.setdefault(message.thread_id, i), i)
        if message.message_id is not None:
            by_id.setdefault(message.message_id, i)
    for i, message in enumerate(messages):
        for named in (*message.in_reply_to, *message.references):
            j = by_id.get(named)
            if j is not None and (message.thread_id is None or messages[j].thread_id is None):
                groups.union(j, i)
    order = sorted(range(len(messages)), key=lambda i: (messages[i].date or _EPOCH, i))
    by_subject: dict[str, int] = {}
    for i in order:
        message = messages[i]
        subject = normalize_subject(message.subject)
        if not subject:
            continue
        has_reply_headers = bool(message.in_reply_to or message.references)
        if message.thread_id is None and not has_reply_headers and _IS_REPLY.match(message.subject):
            first = by_subject.get(subject)
            if first is not None and groups.find(first) != groups.find(i):
                groups.union(first, i)
        by_subject.setdefault(subject, i)
    members: dict[int, list[int]] = {}
    for i in order:
        members.setdefault(groups.find(i), []).append(i)
    threads = []
    for root, indexes in members.items():
        oldest = messages[indexes[0]]
        key = groups.gmail[root] or oldest.message_id or f"#{indexes[0]}"
        threads.append(Thread(key, tuple(messages[i] for i in indexes)))
    return threads
