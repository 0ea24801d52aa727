"""Error mapping (database outage → UNAVAILABLE, bugs → INTERNAL), access log and metrics."""

from __future__ import annotations

import asyncio
import logging
import urllib.request

import grpc
import grpc.aio
import pytest

from tests.integration.grpc_platform.conftest import MakePlatform, Platform, closed_port
from tests.integration.grpc_platform.probe_service import SECRET_IN_ERROR, SERVICE, bearer, unary
from wonder.db.engine import async_session_factory, make_async_engine


async def test_database_outage_during_a_call_is_unavailable(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    token = platform.issue("reporting", "listings:read")
    query = unary(channel, "Query")
    assert await query(b"", metadata=bearer(token), timeout=10) == b"1"

    unreachable = make_async_engine(f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none")
    healthy_sessions = platform.deps.sessions
    platform.deps.sessions = async_session_factory(unreachable)
    try:
        # Token verification is cached; the servicer's own query hits the outage.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await query(b"", metadata=bearer(token), timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "nobody" not in (caught.value.details() or "")
        # A token not yet cached needs the database to be verified: UNAVAILABLE as well.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await query(b"", metadata=bearer("ws_" + "x" * 43), timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        platform.deps.sessions = healthy_sessions
        await unreachable.dispose()


async def test_unexpected_error_is_internal_without_details(
    platform: Platform, channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    token = platform.issue("reporting", "listings:read")
    with (
        caplog.at_level(logging.ERROR, logger="wonder.grpc.errors"),
        pytest.raises(grpc.aio.AioRpcError) as caught,
    ):
        await unary(channel, "Boom")(b"", metadata=bearer(token), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert caught.value.details() == "internal error"
    # The details stay in the server log.
    assert SECRET_IN_ERROR in caplog.text


async def test_access_log_line_per_call_without_the_token(
    platform: Platform, channel: grpc.aio.Channel, caplog: pytest.LogCaptureFixture
) -> None:
    token = platform.issue("reporting", "listings:read")
    with caplog.at_level(logging.INFO, logger="wonder.grpc.access"):
        await unary(channel, "Whoami")(b"", metadata=bearer(token), timeout=10)
        with pytest.raises(grpc.aio.AioRpcError):
            await unary(channel, "Write")(b"", metadata=bearer(token), timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "wonder.grpc.access"]
    assert len(lines) == 2
    ok, denied = lines
    assert f"method=/{SERVICE}/Whoami consumer=reporting code=OK duration_ms=" in ok
    assert "peer=ipv4:127.0.0.1:" in ok
    assert f"method=/{SERVICE}/Write consumer=reporting code=PERMISSION_DENIED" in denied
    assert token not in caplog.text


async def test_metrics_count_calls_by_method_and_code(
    make_platform: MakePlatform,
) -> None:
    platform = await make_platform(metrics_port=0)
    token = platform.issue("reporting", "listings:read")
    registry = platform.server.metrics.registry
    whoami = f"/{SERVICE}/Whoami"
    async with grpc.aio.insecure_channel(platform.target) as channel:
        for _ in range(3):
            await unary(channel, "Whoami")(b"", metadata=bearer(token), timeout=10)
        with pytest.raises(grpc.aio.AioRpcError):
            await unary(channel, "Whoami")(b"", timeout=10)

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    # The server counts a call once its status is sent, so the client can see the refused call
    # end first (it did once in CI): let the server's last call finish before reading.
    for _ in range(100):
        if (
            sample("wonder_grpc_server_in_flight", grpc_method=whoami) in (0, None)
            and sample("wonder_grpc_server_handling_seconds_count", grpc_method=whoami) == 4
        ):
            break
        await asyncio.sleep(0.02)
    assert sample("wonder_grpc_server_handled_total", grpc_method=whoami, grpc_code="OK") == 3
    assert (
        sample("wonder_grpc_server_handled_total", grpc_method=whoami, grpc_code="UNAUTHENTICATED")
        == 1
    )
    assert sample("wonder_grpc_server_handling_seconds_count", grpc_method=whoami) == 4
    assert sample("wonder_grpc_server_in_flight", grpc_method=whoami) == 0

    exporter = platform.server.metrics_exporter
    assert exporter is not None
    url = f"http://127.0.0.1:{exporter.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: ASYNC210 (tiny local call)
        body = response.read().decode()
    assert (
        'wonder_grpc_server_handled_total{grpc_code="OK",grpc_method="/test.v1.Probe/Whoami"} 3.0'
        in body
    )
