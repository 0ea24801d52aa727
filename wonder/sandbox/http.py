"""Framework-free requests and replies: what an emulator's core takes and returns.

An emulator is one synchronous function ``handle(SandboxRequest) -> Reply``. The adapters in
``wonder.sandbox.adapters`` put it behind a real HTTP server (Starlette/uvicorn) or behind an
``httpx.MockTransport``; both call the same function, so the two paths cannot diverge. Faults
that need the connection (latency, a dropped connection) are flags on the reply that each
adapter carries out its own way; a truncated body is already cut by the core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

JSON = "application/json"


@dataclass(frozen=True)
class SandboxRequest:
    method: str
    path: str  # percent-decoded, without the query string
    query: Sequence[tuple[str, str]]  # decoded, in order, repeats kept
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    base_url: str  # scheme://host[:port] the client used, no trailing slash
    query_string: str = ""  # the raw query string as sent (percent-encoded), without "?"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    # Close the connection without answering (status and body are then ignored).
    drop: bool = False
    # The body was cut short on purpose (already applied to ``body``).
    truncate: bool = False
    latency_seconds: float = 0.0


class Handler(Protocol):
    def __call__(self, request: SandboxRequest) -> Reply: ...


def json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(status, orjson.dumps(payload), JSON, dict(headers or {}))


def truncated(body: bytes) -> bytes:
    """A body cut in half: a well-formed HTTP answer whose content does not parse."""
    return body[: len(body) // 2] if len(body) > 1 else body
