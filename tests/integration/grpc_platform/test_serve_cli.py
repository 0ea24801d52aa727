"""`wonder serve` in a real process: logs address and TLS mode, serves, drains on SIGTERM."""

from __future__ import annotations

import asyncio
import signal

import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from sqlalchemy import Engine

from tests.integration.grpc_platform.serve_process import start_serve


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


async def test_serve_starts_answers_and_stops_gracefully(database_url: str) -> None:
    served = await start_serve(database_url)
    process, port, startup = served.process, served.port, served.startup
    assert process.stderr is not None
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=30
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING

            async def list_services() -> object:
                yield reflection_pb2.ServerReflectionRequest(list_services="")

            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = [r async for r in stub.ServerReflectionInfo(list_services(), timeout=30)]
        # No page-token secret configured: the server says so (without printing a secret).
        assert any("PAGE_TOKEN_SECRET is the development default" in x for x in startup)
        names = {s.name for s in responses[0].list_services_response.service}
        # The real wonder.v1 services are registered by default.
        assert "wonder.v1.ListingService" in names
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            rest = (await process.stderr.read()).decode()
            assert await process.wait() == 0
        assert "stopping: draining calls" in rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
