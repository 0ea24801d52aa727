"""The reference of the gRPC benchmarks: an empty method served next to the real services.

``bench.v1.Reference/Empty`` takes and returns ``google.protobuf.Empty`` and does nothing, so
its QPS is what the server stack (interceptors, auth with a cached token, protobuf, HTTP/2)
allows; a real method's QPS divided by it is the share the handler itself leaves.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import grpc
from google.protobuf import empty_pb2

from grpc_server.deps import ServerDeps
from grpc_server.servicers import METHOD_SCOPES, register_all

SERVICE = "bench.v1.Reference"
METHOD = "Empty"
EMPTY_METHOD_PATH = f"/{SERVICE}/{METHOD}"


async def _empty(request: empty_pb2.Empty, context: Any) -> empty_pb2.Empty:
    return empty_pb2.Empty()


def reference_handler() -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            METHOD: grpc.unary_unary_rpc_method_handler(
                _empty,
                request_deserializer=empty_pb2.Empty.FromString,
                response_serializer=empty_pb2.Empty.SerializeToString,
            )
        },
    )


def register_with_reference(server: grpc.aio.Server, deps: ServerDeps) -> list[str]:
    """``register_all`` plus the empty method (not listed: reflection knows no descriptor of it)."""
    services = register_all(server, deps)
    server.add_generic_rpc_handlers((reference_handler(),))
    return services


# The real scopes plus the empty method's, so auth runs for it exactly as for GetListing.
SCOPES_WITH_REFERENCE: Mapping[str, str] = MappingProxyType(
    {**METHOD_SCOPES, EMPTY_METHOD_PATH: "listings:read"}
)
