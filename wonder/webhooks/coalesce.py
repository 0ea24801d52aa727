"""An event sink that announces a burst of stored deliveries once, per source.

Buildium sends one POST per event, so a batch of payments arrives as a dozen deliveries within a
second; announced one by one, each would start (or be cancelled as) a processing run, while one
run drains them all. :class:`CoalescingSink` passes the first delivery of a source on at once,
holds the ones that follow for ``window_seconds``, then passes the newest of them on once (the
trailing announcement, so a delivery that came in after the first run started is never left to
the scheduled drain alone). Announcements stay advisory: the inbox holds every event either way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from wonder.webhooks.ports import EventSink


@dataclass
class _Held:
    entity_key: str
    inbox_id: int
    count: int


class CoalescingSink:
    def __init__(self, inner: EventSink, window_seconds: float) -> None:
        self.inner = inner
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._open: set[str] = set()  # sources inside a window
        self._held: dict[str, _Held] = {}
        self._timers: dict[str, threading.Timer] = {}

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None:
        if self.window_seconds <= 0:
            self.inner.emit(source, entity_key, inbox_id)
            return
        with self._lock:
            if source in self._open:
                held = self._held.get(source)
                self._held[source] = _Held(entity_key, inbox_id, (held.count if held else 0) + 1)
                return
            self._open.add(source)
            self._start_window(source)
        self.inner.emit(source, entity_key, inbox_id)

    def _start_window(self, source: str) -> None:
        timer = threading.Timer(self.window_seconds, self._close_window, args=(source,))
        timer.daemon = True
        self._timers[source] = timer
        timer.start()

    def _close_window(self, source: str) -> None:
        with self._lock:
            held = self._held.pop(source, None)
            if held is None:
                self._open.discard(source)
                self._timers.pop(source, None)
                return
            self._start_window(source)  # the trailing announcement opens the next window
        self.inner.emit(source, held.entity_key, held.inbox_id)

    def close(self) -> None:
        """Stop the timers (held announcements are dropped: the scheduled drain covers them)."""
        with self._lock:
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            self._open.clear()
            self._held.clear()
