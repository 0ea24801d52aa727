"""read_ahead: same items, same errors, one item ahead, the source closed when the block ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from wonder.listings.read_ahead import read_ahead


class Source:
    """A generator source that records what was pulled, by which thread, and its closing."""

    def __init__(self, count: int, *, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.pulled = 0
        self.threads: set[int] = set()
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[int]:
        try:
            for index in range(self.count):
                self.threads.add(threading.get_ident())
                if index == self.fail_at:
                    raise ConnectionError(f"page {index}")
                self.pulled += 1
                yield index
        finally:
            self.closed.set()


def test_yields_every_item_in_order_from_another_thread() -> None:
    source = Source(5)
    with read_ahead(source) as items:
        assert list(items) == [0, 1, 2, 3, 4]
    assert source.closed.is_set()
    assert threading.get_ident() not in source.threads


def test_never_more_than_one_item_ahead() -> None:
    source = Source(6)
    with read_ahead(source) as items:
        for index in items:
            # the caller holds item `index`; only `index + 1` may have been fetched beyond it
            assert source.pulled <= index + 2


def test_the_error_arrives_after_the_items_before_it() -> None:
    source = Source(5, fail_at=3)
    seen: list[int] = []
    with pytest.raises(ConnectionError, match="page 3"), read_ahead(source) as items:
        seen.extend(items)
    assert seen == [0, 1, 2]
    assert source.closed.is_set()


def write_until_failure(source: Source) -> None:
    with read_ahead(source) as items:
        for index in items:
            if index == 2:
                raise RuntimeError("the page could not be written")


def test_leaving_early_stops_and_closes_the_source() -> None:
    source = Source(100)
    with pytest.raises(RuntimeError):
        write_until_failure(source)
    assert source.closed.is_set()  # the worker was joined: the source is free again
    assert source.pulled <= 4


def test_empty_source() -> None:
    with read_ahead(Source(0)) as items:
        assert list(items) == []
