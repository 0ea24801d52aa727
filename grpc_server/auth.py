"""Who the current call is from: the auth interceptor sets ``current_principal`` for servicers.

Health and reflection are open; every other method needs a bearer token whose scopes include the
one its proto declares (``option (wonder.v1.required_scope)``, collected in
``grpc_server.servicers.METHOD_SCOPES``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

from wonder.auth.principal import Principal

__all__ = [
    "OPEN_METHOD_PREFIXES",
    "Principal",
    "bearer_token",
    "current_principal",
    "is_open_method",
]

current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)

# Standard services any client (load balancer, grpcurl, buf curl) may call without a token.
OPEN_METHOD_PREFIXES: tuple[str, ...] = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


def is_open_method(method: str) -> bool:
    return method.startswith(OPEN_METHOD_PREFIXES)


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """The token of the ``authorization: Bearer <token>`` entry; None if missing or malformed."""
    for key, value in metadata or ():
        if key.lower() != "authorization":
            continue
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        scheme, _, token = text.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()
    return None
