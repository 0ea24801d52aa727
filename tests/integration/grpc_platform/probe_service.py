"""A test-only service registered beside the platform's own: raw-bytes methods with known scopes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
from sqlalchemy import text

from grpc_server.auth import current_principal
from grpc_server.deps import ServerDeps
from grpc_server.main import run_server
from wonder.settings import Settings

SERVICE = "test.v1.Probe"
METHOD_SCOPES = {
    f"/{SERVICE}/Whoami": "listings:read",
    f"/{SERVICE}/Stream": "listings:read",
    f"/{SERVICE}/Query": "listings:read",
    f"/{SERVICE}/Boom": "listings:read",
    f"/{SERVICE}/Write": "sync:write",
    # /test.v1.Probe/Undeclared is deliberately absent.
}
SECRET_IN_ERROR = "SELECT password FROM secrets"
Context = grpc.aio.ServicerContext[bytes, bytes]


def registrar(server: grpc.aio.Server, deps: ServerDeps) -> list[str]:
    async def whoami(request: bytes, context: Context) -> bytes:
        principal = current_principal.get()
        return f"{principal.name if principal else '-'} {os.getpid()}".encode()

    async def stream(request: bytes, context: Context) -> AsyncIterator[bytes]:
        for i in range(3):
            yield str(i).encode()

    async def query(request: bytes, context: Context) -> bytes:
        async with deps.sessions() as session:
            value = await session.scalar(text("SELECT 1"))
        return str(value).encode()

    async def boom(request: bytes, context: Context) -> bytes:
        raise RuntimeError(SECRET_IN_ERROR)

    async def ok(request: bytes, context: Context) -> bytes:
        return b"ok"

    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Whoami": grpc.unary_unary_rpc_method_handler(whoami),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
        "Query": grpc.unary_unary_rpc_method_handler(query),
        "Boom": grpc.unary_unary_rpc_method_handler(boom),
        "Write": grpc.unary_unary_rpc_method_handler(ok),
        "Undeclared": grpc.unary_unary_rpc_method_handler(ok),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    return [SERVICE]


def unary(channel: grpc.aio.Channel, method: str) -> grpc.aio.UnaryUnaryMultiCallable[bytes, bytes]:
    call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        f"/{SERVICE}/{method}"
    )
    return call


def streaming(
    channel: grpc.aio.Channel, method: str
) -> grpc.aio.UnaryStreamMultiCallable[bytes, bytes]:
    call: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(
        f"/{SERVICE}/{method}"
    )
    return call


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def probe_worker(settings: Settings, index: int) -> None:
    """A WorkerPool worker serving the probe service (spawned: must be importable)."""
    asyncio.run(
        run_server(settings, registrar=registrar, method_scopes=METHOD_SCOPES, worker_index=index)
    )
