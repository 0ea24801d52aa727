"""The Trestle emulator over HTTP (Starlette): the shared control routes, then every other
path through the emulator's one entry point, ``TrestleSandbox.handle``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Route

from wonder.sandbox.adapters import ALL_METHODS, asgi_endpoint

if TYPE_CHECKING:
    from wonder.sandbox.trestle.sandbox import TrestleSandbox


def create_app(sandbox: TrestleSandbox) -> Starlette:
    routes = [
        *sandbox.control.routes(),
        Route("/{path:path}", asgi_endpoint(sandbox.handle), methods=ALL_METHODS),
    ]
    return Starlette(routes=routes)
