"""Clients of the external services, one class per service, transport injected.

Every client is assembled from the shared pieces here, written once:

- ``errors``: the exceptions every client raises (the type says whether a retry helps);
- ``paging``: ``iterate_pages(fetch, strategy)`` with next-link, keyset, limit/offset and
  page-token strategies;
- ``retry``: the one retry loop (tenacity; ``Retry-After``, backoff with jitter);
- ``governor``: the ``RateGovernor`` port and an in-process token bucket
  (``flows/governor.py`` adapts Prefect's global rate limits to it);
- ``odata``: ``ODataQuery`` and OData literals/filters;

and one package per service (``trestle``). Importing this package creates nothing (no
connection, no token).
"""

from wonder.clients.errors import (
    AuthError,
    ClientError,
    PermanentError,
    RateLimited,
    TransientError,
)

__all__ = ["AuthError", "ClientError", "PermanentError", "RateLimited", "TransientError"]
