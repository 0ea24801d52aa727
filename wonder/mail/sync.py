"""Bring one mailbox's mail into the database: full sync, history sync, the fetch queue.

The cursor ``gmail:{mailbox}`` holds where the mailbox stands:

- ``{"mode": "full", "start_history_id": H, "page_token": T}`` while a full sync lists the
  mailbox (H was read before the first page, so the history sync that follows covers whatever
  changed while listing); each page's ids are queued in the transaction that saves its token;
- ``{"mode": "history", "history_id": H, "page_token": T|null}`` afterwards: each history page
  is applied (adds queued, deletes marked, label changes recorded) with the cursor.

Then the queue drains in batches of ``get``s; a stored message leaves the queue in the
transaction that stores it, a failed part stays queued and is asked again (a rate-limited
batch also halves the batch size). A ``historyId`` Gmail has expired (404) starts one full
resync in the run, never a loop: expiring again in the same run ends the run with the error.
A crash anywhere re-runs to the same set of messages, none fetched twice into the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from wonder.clients.gmail.client import HistoryExpired
from wonder.clients.gmail.records import BatchResult, HistoryPage, MessageIds
from wonder.db.uow import unit_of_work
from wonder.ingest.cursors import get_cursor, save_cursor
from wonder.ingest.report import Headline
from wonder.mail import store

LIST_PAGE_SIZE = 500
# Spam and trash too: history reports their arrivals as well, and the classifier learns from them.
FULL_SYNC_QUERY = "in:anywhere"
MAX_BATCH = 50
# A drain gives up for this run after this many rounds in a row that stored nothing.
MAX_IDLE_ROUNDS = 5


class MailSource(Protocol):
    """What the sync needs of Gmail (``wonder.clients.gmail.GmailClient`` is one)."""

    mailbox: str

    @property
    def units_spent(self) -> int:
        """Quota units spent so far (the report shows what a run used)."""
        ...

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (a batch is one)."""
        ...

    def profile_history_id(self) -> int: ...

    def list_ids(
        self,
        *,
        query: str | None = None,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        page_size: int = 500,
    ) -> MessageIds: ...

    def history(self, start_history_id: int, page_token: str | None = None) -> HistoryPage: ...

    def get_raw(self, message_ids: Sequence[str]) -> BatchResult: ...


@dataclass
class MailSyncReport:
    mailbox: str
    mode: str = "history"
    full_resyncs: int = 0
    listed: int = 0
    queued: int = 0
    history_changes: int = 0
    label_changes: int = 0
    deleted: int = 0
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    requeued: int = 0
    rate_limited_parts: int = 0
    missing: int = 0
    still_queued: int = 0
    history_id: int | None = None
    units_used: int = 0
    api_calls: int = 0
    batch_sizes: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "batch_sizes"}

    # What the flows render for every slice (``wonder.ingest.report``).
    @property
    def resource(self) -> str:
        return self.mailbox

    @property
    def requests(self) -> int:
        return self.api_calls

    @property
    def quota(self) -> str:
        return f"{self.units_used} Gmail quota units used by {self.mailbox}"

    def headline(self) -> Headline:
        note = (
            f"{self.mode} sync to history {self.history_id}; {self.requeued} batch parts "
            f"re-queued ({self.rate_limited_parts} rate-limited), {self.still_queued} still queued"
        )
        if self.full_resyncs:
            note += f"; history had expired: {self.full_resyncs} full resync"
        return Headline(read=self.fetched, written=self.stored, deleted=self.deleted, note=note)

    def summary(self) -> str:
        return (
            f"{self.mailbox}: {self.mode} sync, stored {self.stored} of {self.fetched} fetched "
            f"({self.duplicates} already stored), re-queued {self.requeued}, still queued "
            f"{self.still_queued}, history {self.history_id}, {self.units_used} quota units"
        )


def cursor_name(mailbox: str) -> str:
    return f"gmail:{mailbox}"


def backfill_cursor_name(mailbox: str, query: str) -> str:
    """One resumable listing per (mailbox, query); the query hashed (cursor names are short)."""
    return f"gmail-backfill:{mailbox}:{hashlib.sha256(query.encode()).hexdigest()[:16]}"


class MailSync:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        source: MailSource,
        *,
        clock: Callable[[], datetime],
        batch_size: int = MAX_BATCH,
        query: str | None = FULL_SYNC_QUERY,
    ) -> None:
        self._sessions = sessions
        self._source = source
        self._clock = clock
        self._batch_size = max(1, min(MAX_BATCH, batch_size))
        self._query = query
        self.report = MailSyncReport(source.mailbox)

    @property
    def _name(self) -> str:
        return cursor_name(self._source.mailbox)

    def _state(self) -> dict[str, Any] | None:
        with unit_of_work(self._sessions) as session:
            cursor = get_cursor(session, self._name)
            return dict(cursor.state) if cursor is not None else None

    def _save(self, session: Session, state: dict[str, Any]) -> None:
        save_cursor(
            session,
            self._name,
            modification_timestamp=None,
            last_key=None,
            state=state,
            now=self._clock(),
        )

    def run(self) -> MailSyncReport:
        start_units, start_calls = self._source.units_spent, self._source.requests_made
        state = self._state()
        if state is None or state.get("mode") == "full":
            self._full_sync(state)
        else:
            try:
                self._history_sync(state)
            except HistoryExpired:
                self.report.full_resyncs += 1
                self._full_sync(None)
                self._history_sync(self._state() or {})  # expiring again now: raises
        self._drain()
        self.report.units_used = self._source.units_spent - start_units
        self.report.api_calls = self._source.requests_made - start_calls
        return self.report

    # ------------------------------------------------------------ full sync

    def _full_sync(self, state: dict[str, Any] | None) -> None:
        self.report.mode = "full"
        if state is None or state.get("mode") != "full":
            state = {
                "mode": "full",
                "start_history_id": self._source.profile_history_id(),
                "page_token": None,
            }
            with unit_of_work(self._sessions) as session:
                self._save(session, state)
        token: str | None = state.get("page_token")
        while True:
            page = self._source.list_ids(
                query=self._query, page_token=token, page_size=LIST_PAGE_SIZE
            )
            token = page.next_page_token
            with unit_of_work(self._sessions) as session:
                self.report.listed += len(page.ids)
                self.report.queued += store.enqueue(
                    session, self._source.mailbox, page.ids, self._clock()
                )
                if token is None:
                    history_id = int(state["start_history_id"])
                    self._save(
                        session, {"mode": "history", "history_id": history_id, "page_token": None}
                    )
                    self.report.history_id = history_id
                    return
                self._save(session, {**state, "page_token": token})

    # ------------------------------------------------------------ backfill

    def backfill(self, query: str) -> MailSyncReport:
        """Fetch every message matching ``query`` (Gmail search, e.g. ``in:anywhere`` or
        ``after:2024/01/01 before:2024/07/01``) that is not stored: mail from before the first
        sync's window, or rows lost to a restore. Its listing resumes from its own cursor
        (``backfill_cursor_name``); the history cursor is never touched, so the next history
        sync goes on from where it was. Stored messages are not fetched again."""
        start_units, start_calls = self._source.units_spent, self._source.requests_made
        self.report.mode = "backfill"
        name = backfill_cursor_name(self._source.mailbox, query)
        with unit_of_work(self._sessions) as session:
            cursor = get_cursor(session, name)
        token: str | None = cursor.state.get("page_token") if cursor is not None else None
        while True:
            page = self._source.list_ids(query=query, page_token=token, page_size=LIST_PAGE_SIZE)
            token = page.next_page_token
            with unit_of_work(self._sessions) as session:
                self.report.listed += len(page.ids)
                self.report.queued += store.enqueue(
                    session, self._source.mailbox, page.ids, self._clock()
                )
                # Done: the next backfill of the same query lists from the start again.
                save_cursor(
                    session,
                    name,
                    modification_timestamp=None,
                    last_key=None,
                    state={"query": query, "page_token": token},
                    now=self._clock(),
                )
            if token is None:
                break
        self._drain()
        self.report.units_used = self._source.units_spent - start_units
        self.report.api_calls = self._source.requests_made - start_calls
        return self.report

    # ------------------------------------------------------------ history sync

    def _history_sync(self, state: dict[str, Any]) -> None:
        start = int(state["history_id"])
        token: str | None = state.get("page_token")
        while True:
            page = self._source.history(start, token)
            token = page.next_page_token
            now = self._clock()
            with unit_of_work(self._sessions) as session:
                self._apply(session, page, now)
                if token is None:
                    self._save(
                        session,
                        {"mode": "history", "history_id": page.history_id, "page_token": None},
                    )
                    self.report.history_id = page.history_id
                    return
                self._save(session, {"mode": "history", "history_id": start, "page_token": token})

    def _apply(self, session: Session, page: HistoryPage, now: datetime) -> None:
        mailbox = self._source.mailbox
        self.report.history_changes += len(page.changes)
        added = [(c.message_id, c.thread_id) for c in page.changes if c.kind == "messageAdded"]
        deleted = [c.message_id for c in page.changes if c.kind == "messageDeleted"]
        self.report.queued += store.enqueue(session, mailbox, added, now)
        for change in page.changes:
            if change.kind in ("labelAdded", "labelRemoved"):
                self.report.label_changes += int(
                    store.record_label_change(session, mailbox, change, now)
                )
        store.mark_deleted(session, mailbox, deleted, now)
        self.report.deleted += len(deleted)

    # ------------------------------------------------------------ the queue

    def _drain(self) -> None:
        mailbox = self._source.mailbox
        size = self._batch_size
        idle = 0
        while idle < MAX_IDLE_ROUNDS:
            with unit_of_work(self._sessions) as session:
                batch = [q.gmail_id for q in store.next_in_queue(session, mailbox, size)]
            if not batch:
                break
            result = self._source.get_raw(batch)
            self.report.batch_sizes.append(len(batch))
            now = self._clock()
            with unit_of_work(self._sessions) as session:
                stored = store.store_messages(session, mailbox, result.messages, now)
                store.dequeue(session, mailbox, list(result.missing))
                store.failed_again(
                    session, mailbox, list(result.retry), "rate limited or failed part"
                )
            self.report.fetched += len(result.messages)
            self.report.stored += stored
            self.report.duplicates += len(result.messages) - stored
            self.report.missing += len(result.missing)
            self.report.requeued += len(result.retry)
            self.report.rate_limited_parts += result.rate_limited
            if result.rate_limited:
                size = max(1, size // 2)  # slow down: smaller batches until the quota recovers
            elif size < self._batch_size:
                size = min(self._batch_size, size * 2)
            idle = 0 if result.messages or result.missing else idle + 1
        with unit_of_work(self._sessions) as session:
            self.report.still_queued = store.queue_depth(session, mailbox)
