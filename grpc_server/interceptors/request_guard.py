"""Refuse requests that are not what the method takes, before any servicer sees them.

- An undecodable body is INVALID_ARGUMENT with one warning line (grpcio's default is UNKNOWN and
  an ERROR traceback per call).
- Every string field, at any depth and in every repeated field, is bounded by
  ``max_request_field_chars``: an oversized field is INVALID_ARGUMENT naming the field, before
  the parser or the database spend anything on it (servicers keep their own, tighter limits).

Applies to every method whose request is a single message, so every service gets it by
construction. Streamed requests (server reflection) keep grpcio's handling.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from grpc_server.interceptors._wrap import Behavior
from grpc_server.status import abort_with
from wonder.errors import InvalidArgument

log = logging.getLogger("wonder.grpc.requests")

Check = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Undecodable:
    """What the wrapped deserializer hands on instead of raising."""

    error: str


def _tolerant(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None

    def wrapped(data: bytes) -> Any:
        try:
            return deserialize(data)
        except DecodeError as error:
            # Only a body that does not parse: anything else (grpc hands None for a call that
            # died before its message arrived) keeps grpcio's own handling.
            return Undecodable(str(error)[:200])

    return wrapped


def oversized_field(message: Message, limit: int, prefix: str = "") -> str | None:
    """The path of the first string/bytes field longer than ``limit``, or None."""
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        repeated = field.is_repeated
        values = list(value) if repeated else [value]
        for index, item in enumerate(values):
            item_path = f"{path}[{index}]" if repeated else path
            if field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
                if len(item) > limit:
                    return item_path
            elif field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(item, Message):
                found = oversized_field(item, limit, f"{item_path}.")
                if found is not None:
                    return found
    return None


class RequestGuardInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, max_field_chars: int) -> None:
        self._max_field_chars = max_field_chars

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler: grpc.RpcMethodHandler[Any, Any] | None = await continuation(handler_call_details)
        if handler is None or handler.request_streaming:
            return handler
        method = handler_call_details.method
        guard = self._guard(method)
        deserialize = _tolerant(handler.request_deserializer)
        serialize = handler.response_serializer
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _guarded_unary(handler.unary_unary, guard),
                request_deserializer=deserialize,
                response_serializer=serialize,
            )
        if handler.unary_stream is None:
            return handler
        return grpc.unary_stream_rpc_method_handler(
            _guarded_stream(handler.unary_stream, guard),
            request_deserializer=deserialize,
            response_serializer=serialize,
        )

    def _guard(self, method: str) -> Check:
        limit = self._max_field_chars

        async def check(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
            if isinstance(request, Undecodable):
                log.warning("undecodable request body for %s (%s)", method, request.error)
                await abort_with(
                    context,
                    InvalidArgument(
                        "request", "the body is not a valid protobuf message for this method"
                    ),
                )
            if isinstance(request, Message):
                field = oversized_field(request, limit)
                if field is not None:
                    await abort_with(
                        context, InvalidArgument(field, f"longer than {limit} characters")
                    )

        return check


def _guarded_unary(behavior: Behavior, check: Check) -> Behavior:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await check(request, context)
        return await behavior(request, context)

    return wrapped


def _guarded_stream(behavior: Behavior, check: Check) -> Behavior:
    async def wrapped(
        request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Any]:
        await check(request, context)
        result = behavior(request, context)
        if inspect.isawaitable(result):  # a handler that writes with context.write() itself
            await result
            return
        async for item in result:
            yield item

    return wrapped
