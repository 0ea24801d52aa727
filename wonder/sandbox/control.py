"""The control API every emulator serves under ``/_sandbox/`` (never faulted, no auth):

- ``POST /_sandbox/advance``: move the emulator's clock and change its data; the body is the
  emulator's ``AdvanceRequest`` subclass (JSON object, unknown fields refused), the answer what
  changed;
- ``POST /_sandbox/faults``: replace the fault settings (fields not given are off); the answer
  is the settings now in force;
- ``GET /_sandbox/stats``: requests, quotas, injected faults, ... as the emulator reports them;
- ``POST /_sandbox/reset``: back to the seeded initial state;
- and any operations of the emulator's own, given as ``extra`` (e.g. Buildium's webhook target).

A body that is not a JSON object, or that does not validate, is a 400 with
``{"error": message, "details": [{"field", "message"}]}``; a wrong method is a 405.

``ControlRouter.handle`` is the framework-free core (an emulator calls it first from its own
``handle``, so the MockTransport path has the same control API); ``routes()`` are the same
operations as Starlette routes for the HTTP server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.routing import Route

from wonder.sandbox.adapters import ALL_METHODS, asgi_endpoint
from wonder.sandbox.faults import FaultSettings
from wonder.sandbox.http import Reply, SandboxRequest, json_reply

PREFIX = "/_sandbox"


class AdvanceRequest(BaseModel):
    """Move the clock forward; emulators add their data changes as fields."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(default=0.0, ge=0.0)


class SupportsAsDict(Protocol):
    def as_dict(self) -> Mapping[str, object]: ...


A = TypeVar("A", bound=AdvanceRequest)
F = TypeVar("F", bound=FaultSettings)
A_contra = TypeVar("A_contra", bound=AdvanceRequest, contravariant=True)


class Emulator(Protocol[A_contra, F]):
    """What the control API drives."""

    def apply_advance(self, request: A_contra) -> SupportsAsDict: ...

    def set_faults(self, settings: F) -> F: ...

    def stats(self) -> Mapping[str, Any]: ...

    def reset(self) -> None: ...


class ControlRouter(Generic[A, F]):
    """The control API of one emulator, with its typed advance request and fault settings."""

    def __init__(
        self,
        emulator: Emulator[A, F],
        advance: type[A],
        faults: type[F],
        *,
        extra: Mapping[str, tuple[str, Callable[[SandboxRequest], Reply]]] | None = None,
    ) -> None:
        self._emulator = emulator
        self._advance_model = advance
        self._faults_model = faults
        self._operations: dict[str, tuple[str, Callable[[SandboxRequest], Reply]]] = {
            f"{PREFIX}/advance": ("POST", self._advance),
            f"{PREFIX}/faults": ("POST", self._faults),
            f"{PREFIX}/stats": ("GET", self._stats),
            f"{PREFIX}/reset": ("POST", self._reset),
        }
        for path, operation in (extra or {}).items():
            if not path.startswith(PREFIX + "/") or path in self._operations:
                raise ValueError(f"control path {path!r} must be new and under {PREFIX}/")
            self._operations[path] = operation

    def handle(self, request: SandboxRequest) -> Reply | None:
        """The control reply, or None when the path is not a control path."""
        operation = self._operations.get(request.path)
        if operation is None:
            return None
        method, run = operation
        if request.method != method:
            return json_reply(405, {"error": f"use {method}"}, {"Allow": method})
        return run(request)

    def routes(self) -> list[Route]:
        endpoint = asgi_endpoint(self._handle_or_404)
        return [Route(path, endpoint, methods=ALL_METHODS) for path in self._operations]

    def _handle_or_404(self, request: SandboxRequest) -> Reply:
        reply = self.handle(request)
        return reply if reply is not None else json_reply(404, {"error": "not found"})

    # ------------------------------------------------------------ operations

    def _advance(self, request: SandboxRequest) -> Reply:
        parsed = _parse(self._advance_model, request.body)
        if isinstance(parsed, Reply):
            return parsed
        return json_reply(200, self._emulator.apply_advance(parsed).as_dict())

    def _faults(self, request: SandboxRequest) -> Reply:
        parsed = _parse(self._faults_model, request.body)
        if isinstance(parsed, Reply):
            return parsed
        return json_reply(200, self._emulator.set_faults(parsed).model_dump())

    def _stats(self, request: SandboxRequest) -> Reply:
        return json_reply(200, self._emulator.stats())

    def _reset(self, request: SandboxRequest) -> Reply:
        self._emulator.reset()
        return json_reply(200, {"reset": True})


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], body: bytes) -> M | Reply:
    """A control body as ``model``, or the 400 reply saying why it is not one."""
    return _parse(model, body)


def _parse(model: type[M], body: bytes) -> M | Reply:
    """An empty body is ``{}``: every field at its default."""
    try:
        payload = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        return _bad_request("body is not JSON")
    if not isinstance(payload, dict):
        return _bad_request("body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return _bad_request(f"invalid {model.__name__}: {summary}", details)


def _bad_request(message: str, details: list[dict[str, str]] | None = None) -> Reply:
    return json_reply(400, {"error": message, "details": details or []})
