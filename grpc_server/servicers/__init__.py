"""Every wonder.v1 servicer, and the scope each of their methods requires.

The server factory calls :func:`register_all` once; the auth interceptor looks each call up in
:data:`METHOD_SCOPES` and denies any method that is not listed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import grpc

from grpc_server.deps import ServerDeps
from grpc_server.servicers.listings import ListingServicer
from wonder.v1 import listing_service_pb2, listing_service_pb2_grpc

_LISTING_SERVICE = listing_service_pb2.DESCRIPTOR.services_by_name["ListingService"]


def _scopes_for(service_full_name: str, method_names: list[str], scope: str) -> dict[str, str]:
    return {f"/{service_full_name}/{method}": scope for method in method_names}


# Full method path ("/wonder.v1.ListingService/GetListing") -> the scope a token needs.
METHOD_SCOPES: Mapping[str, str] = MappingProxyType(
    _scopes_for(
        _LISTING_SERVICE.full_name,
        [method.name for method in _LISTING_SERVICE.methods],
        "listings:read",
    )
)


def register_all(server: grpc.aio.Server, deps: ServerDeps) -> list[str]:
    """Add every wonder.v1 servicer to ``server``; return their full names (for reflection)."""
    listing_service_pb2_grpc.add_ListingServiceServicer_to_server(ListingServicer(deps), server)
    return [_LISTING_SERVICE.full_name]
