"""Verify bearer tokens on the server's hot path: caches first, then one indexed lookup by hash.

Successful verifications are cached for ``VerificationCache``'s TTL (30 s by default), so a revoke
takes effect in a running server within that TTL. Refusals (unknown, revoked) are cached for
``RefusalCache``'s TTL (5 s), so a token created right after a refusal of it works within that
TTL; and at most ``MAX_CONCURRENT_LOOKUPS`` lookups run at once, so a flood of distinct bad tokens
queues behind them instead of taking the database pool from good callers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wonder.auth.cache import RefusalCache, VerificationCache
from wonder.auth.principal import Principal
from wonder.auth.store import lookup_principal_async
from wonder.auth.tokens import hash_token, is_well_formed
from wonder.db.uow import cancel_safe_session

MAX_CONCURRENT_LOOKUPS = 4


class TokenVerifier:
    def __init__(
        self,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        clock: Callable[[], datetime],
        cache: VerificationCache | None = None,
        refusals: RefusalCache | None = None,
    ) -> None:
        # A callable so a replaced session factory (e.g. after a reconnect) is picked up.
        self._sessions = sessions
        self._clock = clock
        self.cache = cache if cache is not None else VerificationCache()
        self.refusals = refusals if refusals is not None else RefusalCache()
        self._lookups = asyncio.Semaphore(MAX_CONCURRENT_LOOKUPS)

    async def verify(self, token: str) -> Principal | None:
        if not is_well_formed(token):
            return None
        token_hash = hash_token(token)
        cached = self.cache.get(token_hash)
        if cached is not None:
            return cached
        if self.refusals.refused(token_hash):
            return None
        async with self._lookups:
            principal = await self._lookup(token_hash)
        if principal is None:
            self.refusals.put(token_hash, True)
        else:
            self.cache.put(token_hash, principal)
        return principal

    async def _lookup(self, token_hash: str) -> Principal | None:
        async with cancel_safe_session(self._sessions()) as session, session.begin():
            return await lookup_principal_async(session, token_hash, self._clock())
