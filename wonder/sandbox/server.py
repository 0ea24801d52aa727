"""Run any ASGI app on uvicorn in a background thread (tests, benchmarks, the demo).

The server binds before ``serve_in_thread`` returns, so port 0 works: the chosen port is read
back from the listening socket. Each connection's transport is exposed to the app in
``scope["extensions"]["wonder.transport"]`` so fault injection can drop a connection for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TRANSPORT_EXTENSION = "wonder.transport"


class TransportExposingH11Protocol(H11Protocol):
    """h11 protocol that hands the connection's transport to the app through the scope."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app_with_transport(scope: Scope, receive: Receive, send: Send) -> None:
            extensions = scope.setdefault("extensions", {})
            extensions[TRANSPORT_EXTENSION] = self.transport
            await inner(scope, receive, send)

        self.app = app_with_transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Without TCP_NODELAY, small responses written in two parts wait ~40 ms for delayed ACKs.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]


class _ThreadServer(uvicorn.Server):
    """uvicorn server whose main loop wakes at once when asked to stop (fast test teardown)."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_stop(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)


class RunningServer:
    """A uvicorn server running in a daemon thread; stop it with ``stop()`` or ``with``."""

    def __init__(self, server: _ThreadServer, thread: threading.Thread, host: str, port: int):
        self._server = server
        self._thread = thread
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout: float = 10.0, *, wait: bool = True) -> None:
        """Ask the server to exit; with ``wait`` block until its thread ends (~0.2 s)."""
        self._server.request_stop()
        if wait:
            self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def make_uvicorn_config(app: ASGIApp, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=TransportExposingH11Protocol,
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=2,
        # An emulator answers Date by its own (movable) clock; uvicorn's would be a second one.
        date_header=False,
    )


def serve_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    startup_timeout: float = 10.0,
) -> RunningServer:
    """Start ``app`` on ``host:port`` (0 = any free port) and return once it accepts connections."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port: int = sock.getsockname()[1]
    config = make_uvicorn_config(app, host, bound_port, log_level)
    server = _ThreadServer(config)
    # uvicorn only captures signals in the main thread, so Ctrl-C still reaches the caller.

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"uvicorn-{bound_port}", daemon=True)
    thread.start()
    deadline = threading.Event()
    waited = 0.0
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"server on {host}:{bound_port} failed to start")
        if waited >= startup_timeout:
            server.should_exit = True
            raise TimeoutError(f"server on {host}:{bound_port} did not start in {startup_timeout}s")
        deadline.wait(0.005)
        waited += 0.005
    return RunningServer(server, thread, host, bound_port)
