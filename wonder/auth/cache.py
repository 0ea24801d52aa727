"""Small TTL + LRU caches of token verifications, keyed by token hash (pure, clock injected).

``VerificationCache`` holds successes: a revoked token stays accepted by a process that cached it
until its entry expires (the TTL). ``RefusalCache`` holds failures for a few seconds, so a caller
repeating an unknown or revoked token costs no database lookup per call; a token created after a
refusal works once that refusal expires.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from time import monotonic
from typing import Generic, TypeVar

from wonder.auth.principal import Principal

DEFAULT_TTL_SECONDS = 30.0
DEFAULT_MAX_ENTRIES = 1024
REFUSAL_TTL_SECONDS = 5.0
REFUSAL_MAX_ENTRIES = 4096

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(self, ttl_seconds: float, max_entries: int, clock: Callable[[], float]) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, token_hash: str) -> V | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        expires_at, value = entry
        if self._clock() >= expires_at:
            del self._entries[token_hash]
            return None
        self._entries.move_to_end(token_hash)
        return value

    def put(self, token_hash: str, value: V) -> None:
        self._entries[token_hash] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(token_hash)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class VerificationCache(TtlCache[Principal]):
    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        super().__init__(ttl_seconds, max_entries, clock)


class RefusalCache(TtlCache[bool]):
    def __init__(
        self,
        ttl_seconds: float = REFUSAL_TTL_SECONDS,
        max_entries: int = REFUSAL_MAX_ENTRIES,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        super().__init__(ttl_seconds, max_entries, clock)

    def refused(self, token_hash: str) -> bool:
        return self.get(token_hash) is not None
