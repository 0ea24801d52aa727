"""The Gmail emulator over HTTP (Starlette): every path through ``GmailSandbox.handle``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Route

from wonder.sandbox.adapters import ALL_METHODS, asgi_endpoint

if TYPE_CHECKING:
    from wonder.sandbox.gmail.sandbox import GmailSandbox


def create_app(sandbox: GmailSandbox) -> Starlette:
    routes = [
        *sandbox.control.routes(),
        Route("/{path:path}", asgi_endpoint(sandbox.handle), methods=ALL_METHODS),
    ]
    return Starlette(routes=routes)
