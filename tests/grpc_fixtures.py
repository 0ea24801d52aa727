"""The one way tests start a gRPC server: ``create_server`` on a loopback port, stopped at teardown.

``start_grpc_server(settings, **create_server_kwargs)`` builds the deps from ``settings``, starts
the PlatformServer (the real one: interceptors, health, reflection) and returns it running; every
server it started is stopped, and its engines disposed, when the test ends. The API tests wrap it
with the real services (tests/integration/api), the platform tests with the probe service
(tests/integration/grpc_platform). Registered in tests/conftest.py as a pytest plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from grpc_server.deps import ServerDeps
from grpc_server.server import PlatformServer, create_server
from wonder.settings import Settings

LOOPBACK = "127.0.0.1"


@dataclass
class RunningServer:
    server: PlatformServer
    port: int
    deps: ServerDeps

    @property
    def target(self) -> str:
        return f"{LOOPBACK}:{self.port}"


StartServer = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def start_grpc_server() -> AsyncIterator[StartServer]:
    """Start servers with ``await start_grpc_server(settings, registrar=..., ...)``."""
    started: list[RunningServer] = []

    async def start(settings: Settings, **create_server_kwargs: Any) -> RunningServer:
        assert settings.grpc.host == LOOPBACK, "test servers listen on loopback only"
        deps = ServerDeps.from_settings(settings)
        try:
            server, port = create_server(settings, deps, **create_server_kwargs)
        except BaseException:
            await deps.aclose()
            raise
        running = RunningServer(server, port, deps)
        started.append(running)  # before start(): a server that fails to start is cleaned up too
        await server.start()
        return running

    yield start
    for running in reversed(started):
        await running.server.stop(None)
        await running.deps.aclose()
