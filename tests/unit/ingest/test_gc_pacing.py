"""The ingest's collection thresholds: set for the walk, shared by nested walks, restored after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from wonder.ingest.gc_pacing import BULK_THRESHOLDS, bulk_collections

OWN = (700, 10, 10)


@pytest.fixture(autouse=True)
def own_thresholds() -> Iterator[None]:
    found = gc.get_threshold()
    gc.set_threshold(*OWN)
    yield
    gc.set_threshold(*found)


def test_the_block_runs_with_the_bulk_thresholds_and_the_found_ones_come_back() -> None:
    with bulk_collections():
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == OWN


def test_they_come_back_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), bulk_collections():
        raise RuntimeError("page failed")
    assert gc.get_threshold() == OWN


def test_an_inner_walk_leaving_does_not_end_the_outer_one() -> None:
    with bulk_collections():
        with bulk_collections():
            pass
        assert gc.get_threshold() == BULK_THRESHOLDS
    assert gc.get_threshold() == OWN


def test_concurrent_walks_restore_once_the_last_leaves() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def second() -> None:
        first_in.wait()
        with bulk_collections():
            second_in.set()
            first_out.wait()
            seen.append(gc.get_threshold())

    worker = threading.Thread(target=second)
    worker.start()
    with bulk_collections():
        first_in.set()
        second_in.wait()
    first_out.set()
    worker.join()
    assert seen == [BULK_THRESHOLDS]  # the first leaving did not restore under the second
    assert gc.get_threshold() == OWN
