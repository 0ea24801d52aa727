"""A bounded, least-recently-used map for per-process caches of derived values.

For things costly to build and cheap to keep (compiled statements, query shapes), in a single
event loop: no locking. A key must identify its value completely.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("an LRU cache holds at least one entry")
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """``key``'s value, made (and kept, evicting the least recently used) if absent."""
        try:
            value = self._entries[key]
        except KeyError:
            value = self._entries[key] = make()
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return value
        self._entries.move_to_end(key)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()
