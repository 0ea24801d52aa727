"""Refused tokens are cached briefly: no database lookup per repeat, still refused, and a token
that becomes valid after a refusal is accepted once the refusal expires."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import grpc.aio
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.grpc_platform.conftest import MakePlatform, Platform
from tests.integration.grpc_platform.probe_service import bearer, unary
from wonder.auth.cache import RefusalCache
from wonder.auth.store import revoke_token
from wonder.auth.tokens import display_prefix, generate_token, hash_token
from wonder.auth.verifier import TokenVerifier
from wonder.db.models import ApiToken
from wonder.db.uow import unit_of_work


class Counted:
    """A platform whose verifier counts its database lookups, on a clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lookups = 0
        self.platform: Platform | None = None
        self.verifier = TokenVerifier(
            sessions=self._sessions,
            clock=lambda: datetime.now(UTC),
            refusals=RefusalCache(ttl_seconds=5, clock=lambda: self.now),
        )

    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self.platform is not None
        self.lookups += 1
        return self.platform.deps.sessions


@pytest.fixture
async def counted(make_platform: MakePlatform) -> Counted:
    counted = Counted()
    counted.platform = await make_platform(verifier=counted.verifier)
    return counted


async def code_of(platform: Platform, token: str) -> grpc.StatusCode:
    async with grpc.aio.insecure_channel(platform.target) as channel:
        try:
            await unary(channel, "Whoami")(b"", metadata=bearer(token), timeout=10)
        except grpc.aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


def store_token(platform: Platform, token: str, name: str) -> None:
    """A token row for a token the test already knows (create_token draws its own)."""
    with unit_of_work(platform.sessions) as session:
        session.add(
            ApiToken(
                name=name,
                token_hash=hash_token(token),
                token_prefix=display_prefix(token),
                scopes="listings:read",
                created_at=datetime.now(UTC),
            )
        )


async def test_an_unknown_token_repeated_costs_one_lookup_and_stays_refused(
    counted: Counted,
) -> None:
    assert counted.platform is not None
    token = generate_token()
    for _ in range(5):
        assert await code_of(counted.platform, token) == grpc.StatusCode.UNAUTHENTICATED
    assert counted.lookups == 1
    counted.now = 5.0  # the refusal expired: looked up again, and still refused
    assert await code_of(counted.platform, token) == grpc.StatusCode.UNAUTHENTICATED
    assert counted.lookups == 2


async def test_a_revoked_token_stays_refused_while_its_refusal_is_cached(
    counted: Counted,
) -> None:
    assert counted.platform is not None
    token = counted.platform.issue("leaver", "listings:read")
    with unit_of_work(counted.platform.sessions) as session:
        revoke_token(session, "leaver", datetime.now(UTC))
    for _ in range(3):
        assert await code_of(counted.platform, token) == grpc.StatusCode.UNAUTHENTICATED
    assert counted.lookups == 1


async def test_a_token_created_after_a_refusal_works_once_the_refusal_expires(
    counted: Counted,
) -> None:
    assert counted.platform is not None
    token = generate_token()
    assert await code_of(counted.platform, token) == grpc.StatusCode.UNAUTHENTICATED
    store_token(counted.platform, token, "late")
    counted.now = 4.9  # documented: refused until the refusal's TTL has passed
    assert await code_of(counted.platform, token) == grpc.StatusCode.UNAUTHENTICATED
    counted.now = 5.0
    assert await code_of(counted.platform, token) == grpc.StatusCode.OK
    assert await code_of(counted.platform, token) == grpc.StatusCode.OK  # and it stays accepted
