"""Clients of the external services, one class per service, transport injected.

Every client raises the errors of ``wonder.clients.errors``; importing this package creates
nothing (no connection, no token).
"""

from wonder.clients.errors import (
    AuthError,
    ClientError,
    PermanentError,
    RateLimited,
    TransientError,
)

__all__ = ["AuthError", "ClientError", "PermanentError", "RateLimited", "TransientError"]
