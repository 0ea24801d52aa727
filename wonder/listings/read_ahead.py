"""Fetch the next item of an iterator in a background thread while the caller works on this one.

The first load waits for each page over HTTP, then normalizes and writes it while the source
sits idle. Reading one page ahead overlaps the two. Exactly one item is fetched ahead: the
thread asks the source for item k+1 only once the caller has taken item k, so memory holds at
most two pages, and the source is only ever used by one thread at a time (the worker, until the
context exits and the worker is joined). An exception from the source reaches the caller at the
position it happened; leaving the context stops the worker after at most the fetch in flight.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Item(Generic[_T]):
    value: _T


@dataclass(frozen=True)
class _Failed:
    error: BaseException


class _Done:
    pass


@contextmanager
def read_ahead(source: Iterable[_T], *, name: str = "read-ahead") -> Iterator[Iterator[_T]]:
    """Iterate ``source`` one item ahead of the caller, in a thread named ``name``."""
    delivered: queue.SimpleQueue[_Item[_T] | _Failed | _Done] = queue.SimpleQueue()
    wanted = threading.Semaphore(1)  # one token per item the worker may fetch
    stop = threading.Event()

    def work() -> None:
        iterator = iter(source)
        try:
            while True:
                wanted.acquire()
                if stop.is_set():
                    return
                try:
                    value = next(iterator)
                except StopIteration:
                    delivered.put(_Done())
                    return
                except BaseException as error:  # handed to the caller, who re-raises it
                    delivered.put(_Failed(error))
                    return
                delivered.put(_Item(value))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def items() -> Iterator[_T]:
        while True:
            got = delivered.get()
            if isinstance(got, _Done):
                return
            if isinstance(got, _Failed):
                raise got.error
            wanted.release()  # fetch the next one while the caller works on this one
            yield got.value

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        yield items()
    finally:
        stop.set()
        wanted.release()
        worker.join()
