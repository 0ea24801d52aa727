"""Run an RPC handler's behaviour inside an async context manager, for every RPC shape.

The interceptors of this package only need "before" and "after" around a call: each subclasses
``AroundInterceptor`` and supplies ``around(method, context)``, and this module rebuilds the
handler with the wrapped behaviour. Unary responses are awaited inside the context; streamed
responses are iterated inside it, so the context covers the whole stream. Behaviours are expected
to be async (grpc.aio servicers).
"""

from __future__ import annotations

import inspect
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from typing import Any

import grpc
import grpc.aio

Around = Callable[[grpc.aio.ServicerContext[Any, Any]], AbstractAsyncContextManager[None]]
Behavior = Callable[..., Any]


class AroundInterceptor(grpc.aio.ServerInterceptor):
    """An interceptor that runs every call of the methods it ``applies_to`` inside ``around``."""

    def applies_to(self, method: str) -> bool:
        return True

    @abstractmethod
    def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AbstractAsyncContextManager[None]:
        """The context one call of ``method`` runs in (an ``asynccontextmanager`` method)."""

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not self.applies_to(method):
            return handler
        return wrap_handler(handler, partial(self.around, method))


def wrap_handler(
    handler: grpc.RpcMethodHandler[Any, Any], around: Around
) -> grpc.RpcMethodHandler[Any, Any]:
    deserialize = handler.request_deserializer
    serialize = handler.response_serializer
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _unary_response(handler.unary_unary, around),
            request_deserializer=deserialize,
            response_serializer=serialize,
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _streamed_response(handler.unary_stream, around),
            request_deserializer=deserialize,
            response_serializer=serialize,
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            _unary_response(handler.stream_unary, around),
            request_deserializer=deserialize,
            response_serializer=serialize,
        )
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(
            _streamed_response(handler.stream_stream, around),
            request_deserializer=deserialize,
            response_serializer=serialize,
        )
    return handler


def _unary_response(behavior: Behavior, around: Around) -> Behavior:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        async with around(context):
            result = behavior(request, context)
            if inspect.isawaitable(result):
                result = await result
            return result

    return wrapped


def _streamed_response(behavior: Behavior, around: Around) -> Behavior:
    async def wrapped(
        request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Any]:
        async with around(context):
            result = behavior(request, context)
            if hasattr(result, "__aiter__"):
                async for item in result:
                    yield item
            elif inspect.isawaitable(result):
                # A coroutine that writes its responses with context.write().
                await result
            elif result is not None:
                for item in result:
                    yield item

    return wrapped
