"""The exceptions every client raises: the type says whether a retry can help.

```
ClientError                 base class; messages never contain secrets
├── AuthError               bad credentials or configuration: never retried
├── RateLimited             quota exhausted even after the client's own waiting and retries
├── TransientError          5xx, timeouts, dropped connections, truncated bodies, after retries
└── PermanentError          the request itself is wrong (400, 403, 404): dead-letter it
```

Clients retry inside themselves (one layer); callers only re-run later.
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every client error. The message is safe to log."""


class AuthError(ClientError):
    """Credentials or configuration rejected; retrying cannot help."""


class RateLimited(ClientError):
    """Quota exhausted; ``retry_after`` (seconds) says when a re-run may succeed, if known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(ClientError):
    """The service or the network failed repeatedly; a later re-run may succeed."""


class PermanentError(ClientError):
    """The service refused this request as such (bad query, unknown resource)."""

    def __init__(self, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


__all__ = ["AuthError", "ClientError", "PermanentError", "RateLimited", "TransientError"]
