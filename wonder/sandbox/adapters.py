"""The two ways a request reaches an emulator's core (``wonder.sandbox.http.Handler``).

- ``asgi_endpoint``: a Starlette endpoint for the real HTTP server (``server.serve_in_thread``).
  The core runs in a worker thread; latency is slept on the event loop and a dropped
  connection is a real ``transport.abort()``.
- ``mock_transport``: an ``httpx.MockTransport`` for tests that need no socket. Latency is
  slept with the ``sleep`` given, a dropped connection raises ``httpx.RemoteProtocolError``
  (what httpx raises when a server closes without answering).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

import httpx
from starlette.requests import Request
from starlette.responses import Response

from wonder.sandbox.http import Handler, Reply, SandboxRequest
from wonder.sandbox.server import TRANSPORT_EXTENSION

Endpoint = Callable[[Request], Awaitable[Response]]
# Starlette routes a function endpoint for GET only unless told otherwise; the core decides.
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def asgi_endpoint(handler: Handler) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        sandbox_request = SandboxRequest(
            method=request.method,
            path=request.scope["path"],
            query=request.query_params.multi_items(),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=await request.body(),
            base_url=str(request.base_url).rstrip("/"),
            query_string=request.scope.get("query_string", b"").decode("latin-1"),
        )
        reply = await asyncio.to_thread(handler, sandbox_request)
        if reply.latency_seconds:
            await asyncio.sleep(reply.latency_seconds)
        if reply.drop:
            return await _drop(request)
        return Response(
            reply.body,
            status_code=reply.status,
            headers=reply.headers,
            media_type=reply.content_type,
        )

    return endpoint


async def _drop(request: Request) -> Response:
    """Close the connection without answering (the server sends nothing afterwards)."""
    transport = request.scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
    if transport is None:
        raise ConnectionAbortedError("drop fault without a transport to close")
    transport.abort()
    for _ in range(5):  # let connection_lost run so the server knows the client is gone
        await asyncio.sleep(0)
    return Response(status_code=500)


def to_sandbox_request(request: httpx.Request) -> SandboxRequest:
    url = request.url
    return SandboxRequest(
        method=request.method,
        path=url.path,
        query=parse_qsl(url.query.decode("latin-1"), keep_blank_values=True),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=request.read(),
        base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
        query_string=url.query.decode("latin-1"),
    )


def to_httpx_response(reply: Reply, request: httpx.Request) -> httpx.Response:
    if reply.drop:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    headers = {**reply.headers, "content-type": reply.content_type}
    return httpx.Response(reply.status, headers=headers, content=reply.body, request=request)


def mock_transport(
    handler: Handler, *, sleep: Callable[[float], None] = time.sleep
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        reply = handler(to_sandbox_request(request))
        if reply.latency_seconds:
            sleep(reply.latency_seconds)
        return to_httpx_response(reply, request)

    return httpx.MockTransport(handle)
