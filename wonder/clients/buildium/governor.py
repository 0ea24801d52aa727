"""One in-process rate governor per Buildium account, shared by every client of that account
in this process (threads, several clients). Across processes, flows use a Prefect global rate
limit instead (``flows/governor.py``), strictly.

The bucket holds one request (``burst=1``) and refills at 90 % of the account's rate, so any
one-second window, not only whole seconds, sees at most ``rate`` requests sent, with room for
the spread of arrival times at the server.
"""

from __future__ import annotations

import threading

from wonder.clients.governor import TokenBucket

HEADROOM = 0.9

_lock = threading.Lock()
_buckets: dict[tuple[str, str], TokenBucket] = {}


def account_bucket(base_url: str, account: str, rate_per_second: float) -> TokenBucket:
    """The process-wide bucket of one account (keyed by API origin and account/client id)."""
    key = (base_url.rstrip("/"), account)
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(rate_per_second * HEADROOM, burst=1, name=f"Buildium {account}")
            _buckets[key] = bucket
        return bucket
