"""A platform server on a loopback port 0 over the test database, with the probe service."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc.aio
import pytest
from sqlalchemy.orm import Session, sessionmaker

from grpc_server.deps import ServerDeps
from grpc_server.server import PlatformServer
from tests.grpc_fixtures import StartServer
from tests.integration.grpc_platform import probe_service
from wonder.auth.store import create_token
from wonder.auth.verifier import TokenVerifier
from wonder.db.uow import unit_of_work
from wonder.settings import GrpcSettings, Settings


def platform_settings(database_url: str, **grpc_overrides: object) -> Settings:
    grpc_settings = GrpcSettings(
        host="127.0.0.1",
        port=0,
        health_check_interval_seconds=0.05,
        health_check_timeout_seconds=2.0,
        shutdown_grace_seconds=1.0,
        **grpc_overrides,
    )
    return Settings(database_url=database_url, grpc=grpc_settings)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Platform:
    server: PlatformServer
    port: int
    deps: ServerDeps
    sessions: sessionmaker[Session]

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def issue(self, name: str, scopes: str) -> str:
        with unit_of_work(self.sessions) as session:
            return create_token(session, name, scopes, datetime.now(UTC)).token


MakePlatform = Callable[..., Awaitable[Platform]]


@pytest.fixture
def make_platform(
    sessions: sessionmaker[Session], database_url: str, start_grpc_server: StartServer
) -> MakePlatform:
    """Factory so a test can pick settings (TLS, metrics port); servers are stopped at teardown."""

    async def make(verifier: TokenVerifier | None = None, **grpc_overrides: object) -> Platform:
        running = await start_grpc_server(
            platform_settings(database_url, **grpc_overrides),
            registrar=probe_service.registrar,
            method_scopes=probe_service.METHOD_SCOPES,
            verifier=verifier,
        )
        return Platform(running.server, running.port, running.deps, sessions)

    return make


@pytest.fixture
async def platform(make_platform: MakePlatform) -> Platform:
    return await make_platform()


@pytest.fixture
async def channel(platform: Platform) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(platform.target) as chan:
        yield chan
