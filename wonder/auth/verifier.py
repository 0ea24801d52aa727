"""Verify bearer tokens on the server's hot path: cache first, then one indexed lookup by hash.

Successful verifications are cached for ``VerificationCache``'s TTL (30 s by default), so a revoke
takes effect in a running server within that TTL. Failures are not cached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wonder.auth.cache import VerificationCache
from wonder.auth.principal import Principal
from wonder.auth.store import lookup_principal_async
from wonder.auth.tokens import hash_token, is_well_formed
from wonder.db.uow import cancel_safe_session


class TokenVerifier:
    def __init__(
        self,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        clock: Callable[[], datetime],
        cache: VerificationCache | None = None,
    ) -> None:
        # A callable so a replaced session factory (e.g. after a reconnect) is picked up.
        self._sessions = sessions
        self._clock = clock
        self.cache = cache if cache is not None else VerificationCache()

    async def verify(self, token: str) -> Principal | None:
        if not is_well_formed(token):
            return None
        token_hash = hash_token(token)
        cached = self.cache.get(token_hash)
        if cached is not None:
            return cached
        async with cancel_safe_session(self._sessions()) as session, session.begin():
            principal = await lookup_principal_async(session, token_hash, self._clock())
        if principal is not None:
            self.cache.put(token_hash, principal)
        return principal
