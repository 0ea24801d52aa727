"""Server streams cannot pile up: bounded in number and in what a slow reader makes us hold.

- At most ``max_streams`` server streams are open at once on this server, and at most
  ``max_streams_per_consumer`` per token (per peer address for the open methods, e.g. health
  Watch); one more is RESOURCE_EXHAUSTED at once, so a careless client cannot starve the others.
- Each message is written with ``context.write`` and awaited, so HTTP/2 flow control holds the
  producer back (no unbounded buffering); a reader that takes nothing for
  ``write_timeout_seconds`` has its stream ended with RESOURCE_EXHAUSTED, which frees what the
  stream holds.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import grpc.aio

from grpc_server.auth import current_principal
from grpc_server.call_info import current_call

Context = grpc.aio.ServicerContext[Any, Any]


class StreamBudget:
    """Counts open streams, per server and per consumer (pure bookkeeping, one event loop)."""

    def __init__(self, max_streams: int, max_per_consumer: int) -> None:
        self.max_streams = max_streams
        self.max_per_consumer = max_per_consumer
        self._open: Counter[str] = Counter()

    @property
    def open_streams(self) -> int:
        return sum(self._open.values())

    def refusal(self, consumer: str) -> str | None:
        """Why one more stream for ``consumer`` is refused now, or None."""
        if self.open_streams >= self.max_streams:
            return f"this server already has {self.max_streams} open streams; retry later"
        if self._open[consumer] >= self.max_per_consumer:
            return (
                f"at most {self.max_per_consumer} open streams per consumer; "
                "close one before opening another"
            )
        return None

    @contextmanager
    def holding(self, consumer: str) -> Iterator[None]:
        self._open[consumer] += 1
        try:
            yield
        finally:
            self._open[consumer] -= 1
            if not self._open[consumer]:
                del self._open[consumer]


def _consumer() -> str:
    principal = current_principal.get()
    if principal is not None:
        return f"token:{principal.name}"
    call = current_call.get()
    peer = call.peer if call is not None else ""
    # "ipv4:127.0.0.1:5555" -> the host part: one client, however many connections it opens.
    host = peer.rsplit(":", 1)[0] if peer.count(":") > 1 else peer
    return f"peer:{host}"


class StreamLimitInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, budget: StreamBudget, write_timeout_seconds: float) -> None:
        self.budget = budget
        self._write_timeout = write_timeout_seconds

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler: grpc.RpcMethodHandler[Any, Any] | None = await continuation(handler_call_details)
        if handler is None or handler.unary_stream is None:
            return handler
        return grpc.unary_stream_rpc_method_handler(
            self._limited(handler.unary_stream),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _limited(self, behavior: Callable[..., Any]) -> Callable[..., Any]:
        budget, timeout = self.budget, self._write_timeout

        async def wrapped(request: Any, context: Context) -> None:
            consumer = _consumer()
            refusal = budget.refusal(consumer)
            if refusal is not None:
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, refusal)
            with budget.holding(consumer):
                responses = behavior(request, context)
                if inspect.isawaitable(responses):  # writes with context.write() itself
                    await responses
                    return
                # One timeout for the whole stream, armed only while a write waits (a timer
                # handle per message, not the task per message asyncio.wait_for creates).
                loop = asyncio.get_running_loop()
                try:
                    async with asyncio.timeout(None) as write_deadline:
                        async for message in responses:
                            write_deadline.reschedule(loop.time() + timeout)
                            await context.write(message)
                            write_deadline.reschedule(None)
                except TimeoutError:
                    if not write_deadline.expired():
                        raise  # the servicer's own TimeoutError, not a stalled reader
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"the stream's reader took no message for {timeout:g} s",
                    )

        return wrapped
