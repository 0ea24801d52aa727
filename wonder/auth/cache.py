"""A small TTL + LRU cache of successful verifications, keyed by token hash (pure, clock injected).

A revoked token stays accepted by a process that cached it until its entry expires (the TTL).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from time import monotonic

from wonder.auth.principal import Principal

DEFAULT_TTL_SECONDS = 30.0
DEFAULT_MAX_ENTRIES = 1024


class VerificationCache:
    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    def get(self, token_hash: str) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        expires_at, principal = entry
        if self._clock() >= expires_at:
            del self._entries[token_hash]
            return None
        self._entries.move_to_end(token_hash)
        return principal

    def put(self, token_hash: str, principal: Principal) -> None:
        self._entries[token_hash] = (self._clock() + self._ttl, principal)
        self._entries.move_to_end(token_hash)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
