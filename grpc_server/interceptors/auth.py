"""Bearer-token authentication and per-method scope authorisation.

Missing, malformed, unknown or revoked token → UNAUTHENTICATED; a valid token without the scope
the method requires → PERMISSION_DENIED; a method with no declared scope → PERMISSION_DENIED
(secure default). Health and reflection pass without a token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

import grpc
import grpc.aio

from grpc_server.auth import bearer_token, current_principal, is_open_method
from grpc_server.interceptors._wrap import AroundInterceptor
from wonder.auth.principal import Principal


class Verifier(Protocol):
    async def verify(self, token: str) -> Principal | None: ...


class AuthInterceptor(AroundInterceptor):
    def __init__(self, verifier: Verifier, method_scopes: Mapping[str, str]) -> None:
        self._verifier = verifier
        self._method_scopes = dict(method_scopes)

    def applies_to(self, method: str) -> bool:
        return not is_open_method(method)

    @asynccontextmanager
    async def around(
        self, method: str, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[None]:
        token = bearer_token(context.invocation_metadata())
        if token is None:
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                "missing or malformed 'authorization: Bearer <token>' metadata",
            )
        principal = await self._verifier.verify(token)
        if principal is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked token")
        current_principal.set(principal)
        required = self._method_scopes.get(method)
        if required is None:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "this method is not open to API tokens"
            )
        if not principal.allows(required):
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"this method requires scope {required!r}"
            )
        yield
