"""Bearer-token auth over real loopback: each failure's status, scopes, open health."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.integration.grpc_platform.conftest import MakePlatform, Platform
from tests.integration.grpc_platform.probe_service import bearer, streaming, unary
from wonder.auth.cache import VerificationCache
from wonder.auth.store import revoke_token
from wonder.auth.tokens import generate_token
from wonder.auth.verifier import TokenVerifier
from wonder.db.uow import unit_of_work


async def call(
    channel: grpc.aio.Channel, method: str, metadata: tuple[tuple[str, str], ...] = ()
) -> bytes:
    return await unary(channel, method)(b"", metadata=metadata, timeout=10)


async def status_of(
    channel: grpc.aio.Channel, method: str, metadata: tuple[tuple[str, str], ...] = ()
) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(channel, method, metadata)
    return caught.value.code()


async def test_right_scope_is_served_and_sees_its_principal(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    token = platform.issue("reporting", "listings:read")
    reply = await call(channel, "Whoami", bearer(token))
    assert reply.decode().split()[0] == "reporting"


async def test_server_streaming_is_authorised_too(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    token = platform.issue("reporting", "listings:read")
    stream = streaming(channel, "Stream")
    assert [m async for m in stream(b"", metadata=bearer(token), timeout=10)] == [b"0", b"1", b"2"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        _ = [m async for m in stream(b"", timeout=10)]
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "metadata",
    [
        (),
        (("authorization", "Basic dXNlcjpwYXNz"),),
        (("authorization", "Bearer"),),
        (("authorization", "Bearer not-a-token"),),
    ],
    ids=["missing", "other-scheme", "empty", "malformed"],
)
async def test_missing_or_malformed_token_is_unauthenticated(
    channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]
) -> None:
    assert await status_of(channel, "Whoami", metadata) == grpc.StatusCode.UNAUTHENTICATED


async def test_unknown_token_is_unauthenticated(channel: grpc.aio.Channel) -> None:
    code = await status_of(channel, "Whoami", bearer(generate_token()))
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_revoked_token_is_unauthenticated(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    token = platform.issue("leaver", "listings:read")
    with unit_of_work(platform.sessions) as session:
        revoke_token(session, "leaver", datetime.now(UTC))
    assert await status_of(channel, "Whoami", bearer(token)) == grpc.StatusCode.UNAUTHENTICATED


async def test_revoke_applies_once_the_cached_verification_expires(
    make_platform: MakePlatform,
) -> None:
    now = [0.0]
    cache = VerificationCache(ttl_seconds=30, clock=lambda: now[0])
    made: list[Platform] = []
    verifier = TokenVerifier(
        sessions=lambda: made[0].deps.sessions, clock=lambda: datetime.now(UTC), cache=cache
    )
    platform = await make_platform(verifier=verifier)
    made.append(platform)
    token = platform.issue("leaver", "listings:read")
    async with grpc.aio.insecure_channel(platform.target) as channel:
        await call(channel, "Whoami", bearer(token))
        with unit_of_work(platform.sessions) as session:
            revoke_token(session, "leaver", datetime.now(UTC))
        # Documented: a running server honours a revoke once its cached verification expires.
        now[0] = 29.0
        await call(channel, "Whoami", bearer(token))
        now[0] = 30.0
        code = await status_of(channel, "Whoami", bearer(token))
    assert code == grpc.StatusCode.UNAUTHENTICATED


async def test_wrong_scope_is_permission_denied(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    token = platform.issue("reader", "listings:read")
    assert await status_of(channel, "Write", bearer(token)) == grpc.StatusCode.PERMISSION_DENIED
    writer = platform.issue("writer", "sync:write")
    assert await call(channel, "Write", bearer(writer)) == b"ok"


async def test_method_without_declared_scope_is_denied(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    token = platform.issue("everything", ",".join(sorted(_all_scopes())))
    code = await status_of(channel, "Undeclared", bearer(token))
    assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_health_needs_no_token(channel: grpc.aio.Channel) -> None:
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=10
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_last_used_at_is_recorded(platform: Platform, channel: grpc.aio.Channel) -> None:
    from sqlalchemy import select

    from wonder.db.models import ApiToken

    token = platform.issue("tracked", "listings:read")
    await call(channel, "Whoami", bearer(token))
    with platform.sessions() as session:
        assert session.scalar(select(ApiToken.last_used_at)) is not None


def _all_scopes() -> frozenset[str]:
    from wonder.auth.scopes import KNOWN_SCOPES

    return KNOWN_SCOPES
