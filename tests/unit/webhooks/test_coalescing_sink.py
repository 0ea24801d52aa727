"""A burst of one source's deliveries is announced twice (at once, then at the end of the
window with the newest event), another source's on its own, and nothing is announced late when
the burst is a single delivery."""

from __future__ import annotations

import threading
import time

from wonder.webhooks.coalesce import CoalescingSink

WINDOW = 0.2


class Recording:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def emit(self, source: str, entity_key: str, inbox_id: int) -> None:
        with self.lock:
            self.emitted.append((source, entity_key, inbox_id))


def settle() -> None:
    time.sleep(WINDOW * 4)


def test_a_burst_is_announced_at_once_and_then_once_with_its_newest_event() -> None:
    inner = Recording()
    sink = CoalescingSink(inner, WINDOW)
    for n in range(1, 11):
        sink.emit("buildium", f"lease.{n}", n)
    assert inner.emitted == [("buildium", "lease.1", 1)]  # the first at once
    settle()
    assert inner.emitted == [("buildium", "lease.1", 1), ("buildium", "lease.10", 10)]
    sink.close()


def test_sources_are_coalesced_apart() -> None:
    inner = Recording()
    sink = CoalescingSink(inner, WINDOW)
    sink.emit("buildium", "lease.1", 1)
    sink.emit("gmail", "mailbox.a@x", 2)
    sink.emit("buildium", "lease.2", 3)
    settle()
    assert sorted(inner.emitted) == [
        ("buildium", "lease.1", 1),
        ("buildium", "lease.2", 3),
        ("gmail", "mailbox.a@x", 2),
    ]
    sink.close()


def test_a_single_delivery_is_announced_once_and_the_window_reopens_after() -> None:
    inner = Recording()
    sink = CoalescingSink(inner, WINDOW)
    sink.emit("buildium", "lease.1", 1)
    settle()
    sink.emit("buildium", "lease.2", 2)  # a new burst: announced at once again
    assert inner.emitted == [("buildium", "lease.1", 1), ("buildium", "lease.2", 2)]
    sink.close()


def test_a_zero_window_announces_every_delivery() -> None:
    inner = Recording()
    sink = CoalescingSink(inner, 0)
    for n in range(3):
        sink.emit("buildium", "lease.1", n)
    assert len(inner.emitted) == 3
