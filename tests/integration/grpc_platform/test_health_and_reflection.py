"""Health follows database reachability; reflection lists every registered service."""

from __future__ import annotations

import asyncio

import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.integration.grpc_platform.conftest import Platform, closed_port
from tests.integration.grpc_platform.probe_service import SERVICE
from wonder.db.engine import async_session_factory, make_async_engine

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def check(channel: grpc.aio.Channel, service: str = "") -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=10
    )
    return reply.status


async def test_health_flips_with_database_reachability(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    assert await check(channel) == SERVING
    assert await check(channel, SERVICE) == SERVING

    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    statuses = watch.__aiter__()
    assert (await anext(statuses)).status == SERVING

    healthy_engine, healthy_sessions = platform.deps.engine, platform.deps.sessions
    healthy_probe_engine = platform.deps.health_engine
    unreachable = make_async_engine(f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none")
    try:
        platform.deps.engine = platform.deps.health_engine = unreachable
        platform.deps.sessions = async_session_factory(unreachable)
        # The background probe notices on its own; Watch streams the change (bounded wait).
        async with asyncio.timeout(30):
            assert (await anext(statuses)).status == NOT_SERVING
        assert await check(channel, SERVICE) == NOT_SERVING

        platform.deps.engine, platform.deps.sessions = healthy_engine, healthy_sessions
        platform.deps.health_engine = healthy_probe_engine
        async with asyncio.timeout(30):
            assert (await anext(statuses)).status == SERVING
        assert await check(channel, SERVICE) == SERVING
    finally:
        watch.cancel()
        platform.deps.engine, platform.deps.sessions = healthy_engine, healthy_sessions
        platform.deps.health_engine = healthy_probe_engine
        await unreachable.dispose()


async def test_health_reports_not_serving_on_shutdown(
    platform: Platform, channel: grpc.aio.Channel
) -> None:
    """Over the wire: a load balancer watching health sees NOT_SERVING before the server goes."""
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    statuses = watch.__aiter__()
    assert (await anext(statuses)).status == SERVING
    stopping = asyncio.create_task(platform.server.stop(1.0))
    async with asyncio.timeout(10):
        assert (await anext(statuses)).status == NOT_SERVING
    await stopping
    assert platform.server.health.serving is False


async def test_reflection_lists_every_service(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    async def one_request() -> object:
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    responses = [r async for r in stub.ServerReflectionInfo(one_request(), timeout=10)]
    names = {s.name for s in responses[0].list_services_response.service}
    assert names == {
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    }
