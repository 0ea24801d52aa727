"""Every wonder.v1 servicer, one module per service, and the scope each method requires.

A module here (not named ``_*``) declares ``REGISTRATION = ServiceRegistration(...)`` (see
:mod:`grpc_server.registry`) and is found by scanning this package: adding a service adds a
file. The server factory calls :func:`register_all` once; the auth interceptor looks each call up
in :data:`METHOD_SCOPES`, read from the ``(wonder.v1.required_scope)`` option of every method,
and denies any method that is not listed there. Importing this package fails (and so does
``wonder serve``) if a method declares no scope or an unknown one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import grpc.aio

from grpc_server.deps import ServerDeps
from grpc_server.registry import ServiceRegistration, discover, method_scopes, registrar

REGISTRATIONS: tuple[ServiceRegistration[Any], ...] = discover(__name__)

# Full method path ("/wonder.v1.ListingService/GetListing") -> the scope a token needs.
METHOD_SCOPES: Mapping[str, str] = method_scopes(r.descriptor for r in REGISTRATIONS)

_register = registrar(REGISTRATIONS)


def register_all(server: grpc.aio.Server, deps: ServerDeps) -> list[str]:
    """Add every wonder.v1 servicer to ``server``; return their full names (for reflection)."""
    return _register(server, deps)
