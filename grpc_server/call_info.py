"""What the platform reads from a call's context, read once when the call starts.

grpcio 1.85 (the newest release) can crash the whole process in ``cygrpc`` when some
``ServicerContext`` methods (``peer()`` at least) run after the client cancelled a streaming call:
the call object underneath is gone. So the outermost interceptor snapshots the peer and the
deadline at the start of every call, and nothing after that asks the context again; servicers read
the time left from here (:func:`remaining_seconds`), never from ``context.time_remaining()``.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import grpc.aio


@dataclass(frozen=True)
class CallInfo:
    method: str
    peer: str
    # time.monotonic() at which the caller's deadline passes; None: no deadline.
    deadline: float | None

    @classmethod
    def capture(cls, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> CallInfo:
        # The clock first: a busy loop between the two reads then moves the estimate earlier,
        # never past the deadline gRPC core enforces.
        now = time.monotonic()
        remaining = context.time_remaining()
        deadline = None if remaining is None else now + remaining
        return cls(method=method, peer=context.peer() or "", deadline=deadline)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def expired(self, margin: float = 0.0) -> bool:
        """The deadline has passed (or passes within ``margin`` seconds)."""
        left = self.remaining()
        return left is not None and left <= margin


current_call: ContextVar[CallInfo | None] = ContextVar("current_call", default=None)


class DeadlineExpired(Exception):
    """The caller's deadline passed before the work started (answered DEADLINE_EXCEEDED)."""


def remaining_seconds(context: grpc.aio.ServicerContext[Any, Any]) -> float | None:
    """Seconds left before the caller's deadline (None: no deadline). Expired: DeadlineExpired."""
    call = current_call.get()
    # The snapshot taken when the call started: the context is not asked again.
    remaining = call.remaining() if call is not None else context.time_remaining()
    if remaining is not None and remaining <= 0:
        raise DeadlineExpired
    return remaining
