"""Mistakes and refusals every slice raises, in one tree; the API maps each to one gRPC status.

Domain code raises these (never gRPC statuses); the gRPC server's ``status.py`` holds the one table
from these classes to status codes and rich error details, and the CLI prints ``str(error)``.
"""

from __future__ import annotations

from collections.abc import Sequence

# What an error message repeats of a caller's input, at most.
MAX_ECHO_CHARS = 80
# Missing names listed in a NotFound message; the rest are counted.
MAX_NAMES_SHOWN = 10


def echo(value: str) -> str:
    """``value`` quoted for an error message, cut to MAX_ECHO_CHARS."""
    if len(value) <= MAX_ECHO_CHARS:
        return repr(value)
    return repr(value[:MAX_ECHO_CHARS]) + f"... ({len(value)} characters)"


class PlatformError(Exception):
    """A request refused for a reason the caller can act on (not an outage, not a bug)."""


class InvalidArgument(PlatformError, ValueError):
    """A caller's mistake in one request field."""

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description


class NotFound(PlatformError):
    """One or more requested resources do not exist."""

    def __init__(self, resource_type: str, names: Sequence[str]) -> None:
        shown = ", ".join(echo(name) for name in names[:MAX_NAMES_SHOWN])
        more = len(names) - MAX_NAMES_SHOWN
        super().__init__(
            f"{resource_type} not found: {shown}" + (f" and {more} more" if more > 0 else "")
        )
        self.resource_type = resource_type
        self.names = list(names)


class FailedPrecondition(PlatformError):
    """The request is well formed but the resource is not in a state that allows it."""

    def __init__(self, subject: str, description: str) -> None:
        super().__init__(f"{subject}: {description}")
        self.subject = subject
        self.description = description


class Conflict(PlatformError):
    """The request collides with what exists (a name taken, a concurrent change)."""

    def __init__(self, subject: str, description: str) -> None:
        super().__init__(f"{subject}: {description}")
        self.subject = subject
        self.description = description


class Unavailable(PlatformError):
    """A service we depend on (not the database: the interceptor knows those) is down or over
    its quota; the same request may succeed later. ``service`` names it, never a secret."""

    def __init__(self, service: str, description: str) -> None:
        super().__init__(f"{service}: {description}")
        self.service = service
        self.description = description
