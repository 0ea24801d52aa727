"""The Buildium emulator over HTTP (Starlette): the shared control routes, then every other
path through the emulator's one entry point, ``BuildiumSandbox.handle``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Route

from wonder.sandbox.adapters import ALL_METHODS, asgi_endpoint

if TYPE_CHECKING:
    from wonder.sandbox.buildium.sandbox import BuildiumSandbox


def create_app(sandbox: BuildiumSandbox) -> Starlette:
    routes = [
        *sandbox.control.routes(),
        Route("/{path:path}", asgi_endpoint(sandbox.handle), methods=ALL_METHODS),
    ]
    return Starlette(routes=routes)
